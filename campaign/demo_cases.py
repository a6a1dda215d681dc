"""Demo problems at every stage of their lifecycle, created through the real services with
the clock set to dates of the 2022 campaign, so the demo has a history worth looking at."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import files, problems, tasks
from campaign.models import Problem, User
from campaign.workflow_host import CampaignHost
from core import clock
from engine.models import WorkItem


class Story(NamedTuple):
    unit: str
    village: str
    programme: str
    category: str
    focus: str
    amount: str  # 元
    description: str
    stage: str
    cards: str = "0"
    recovered: str = "0"  # 追缴收回 at rectification, 元
    returned: str = "0"  # 返还发放 at rectification, 元
    # A problem of group (三) that is not transferred to the commission says why.
    no_transfer_reason: str = ""


STORIES: list[Story] = [
    Story(
        "QSZ",
        "QSZ01",
        "P11",
        "S02",
        "3.3",
        "3600.00",
        "村会计截留3户农户耕地地力保护补贴，户主身份证号420704196512120017",
        "closed",
        recovered="3600.00",
        returned="3600.00",
        no_transfer_reason="经核实系村会计代领后未及时转付，无侵占故意，已全额追回并发放到户，"
        "由镇纪委进行提醒谈话",
    ),
    Story(
        "QSZ",
        "QSZ02",
        "P01",
        "S07",
        "1.2",
        "12800.00",
        "低保金连续两个月未按时发放到户",
        "signoff",
        returned="12800.00",
    ),
    Story(
        "QSZ",
        "QSZ03",
        "P03",
        "S12",
        "3.4",
        "0",
        "村干部私自保管残疾人“一卡通”5张",
        "rectifying",
        cards="5",
    ),
    Story(
        "QSZ", "QSZ04", "P09", "S06", "1.3", "4200.00", "已去世老人仍在领取高龄津贴", "reviewing"
    ),
    Story(
        "QSZ",
        "QSZ05",
        "P12",
        "S08",
        "1.2",
        "2150.50",
        "种粮补贴少发，农户反映未足额到账",
        "rectifying",
    ),
    Story(
        "BSZ",
        "BSZ01",
        "P08",
        "S11",
        "1.5",
        "18600.00",
        "优抚对象补助发放结果未在村务公开栏公示",
        "reviewing",
    ),
]


def _user(session: Session, name: str) -> User:
    return session.scalars(select(User).where(User.username == name)).one()


def _open(session: Session, problem: Problem) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()


# A tiny but well-formed PDF, so the demo's evidence downloads and opens.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def load_demo_cases(session: Session, data_dir: Path) -> int:
    """Adds the demo problems once; returns how many were added."""
    if session.scalar(select(func.count()).select_from(Problem)):
        return 0
    host = CampaignHost()
    office = _user(session, "ldxz_ban")
    try:
        for index, story in enumerate(STORIES):
            clock.freeze(datetime(2022, 6, 6 + index, 2, 0, tzinfo=UTC))
            _tell(session, host, office, data_dir, story)
    finally:
        clock.reset()
    return len(STORIES)


def _tell(session: Session, host: CampaignHost, office: User, data_dir: Path, story: Story) -> None:
    unit = story.unit
    officer = _user(session, "qsz_jbr") if unit == "QSZ" else office
    problem = problems.register(
        session,
        host,
        officer,
        unit,
        {
            "source": "self_inspection",
            "village": story.village,
            "programme": story.programme,
            "focus_item": story.focus,
            "stat_category": story.category,
            "description": story.description,
            "amount": story.amount,
            "cards": story.cards,
            "households": "3",
            "persons": "6",
            "discovered_on": clock.local_now().date().isoformat(),
        },
    )
    if story.stage == "reviewing":
        return
    reviewer = _user(session, "qsz_fzr") if unit == "QSZ" else office
    steps: list[tuple[User, dict[str, Any]]] = [
        (
            reviewer,
            {
                "review_decision": "approve",
                "responsible_unit": unit,
                "responsible_person": "王主任",
                "rectify_type": "deadline",
                "measures": "追回或补发资金，完善发放台账",
                "deadline": "2022-06-30",
            },
        )
    ]
    if story.stage in ("signoff", "closed"):
        steps.append(
            (
                officer,
                {
                    "action": "submit",
                    "measures_taken": "已追回并足额发放到户",
                    "amount_recovered": story.recovered,
                    "amount_returned": story.returned,
                    "no_transfer_reason": story.no_transfer_reason,
                    "completed_on": clock.local_now().date().isoformat(),
                    "evidence": [],
                },
            )
        )
    if story.stage == "closed":
        steps += [
            (office, {"signoff_decision": "approve", "no_transfer_approved": True}),
            (officer, {"public_text": story.description + "。已整改到位，资金已足额发放。"}),
            (office, {"disclosure_decision": "approve"}),
            (office, {"closing_note": "整改到位，予以销号"}),
        ]
    for person, data in steps:
        if data.get("action") == "submit":
            evidence = files.store(
                session,
                data_dir,
                person,
                problem.case_id or 0,
                "整改佐证（示例）.pdf",
                io.BytesIO(DEMO_PDF),
            )
            data = {**data, "evidence": [str(evidence.id)]}
        tasks.complete(session, host, person, _open(session, problem).id, data)
