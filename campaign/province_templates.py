"""One real run per lifecycle stage and story: the templates of the demo province's ledger.

For each stage and each of the demo's stories, one entry is registered and taken to that
stage through the real services (problems.register, tasks.complete) in the province's first
new township, by its officer and reviewer and the leading group office. Each of those cases
becomes a template (engine.case_copies) whose tokens are the pieces of its data that differ
between entries: its id, number, village, township, evidence and money."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import files, problems, tasks
from campaign.demo_cases import DEMO_PDF, STORIES, Story
from campaign.models import Attachment, Problem, User
from campaign.models.ledger import ProblemStatus
from campaign.province import Province
from campaign.workflow_host import CampaignHost
from core import clock
from core.errors import Conflict
from engine.case_copies import CaseTemplate
from engine.models import WorkItem

# How many entries of a thousand are at each stage: a campaign late in its course, most of it
# closed; with these shares a million entries have about ten million task records.
STAGES: dict[ProblemStatus, int] = {
    ProblemStatus.REVIEWING: 50,
    ProblemStatus.CORRECTING: 20,
    ProblemStatus.RECTIFYING: 120,
    ProblemStatus.EXTENSION: 30,
    ProblemStatus.SIGNOFF: 80,
    ProblemStatus.DISCLOSING: 60,
    ProblemStatus.CLOSING: 60,
    ProblemStatus.CLOSED: 520,
    ProblemStatus.VOIDING: 20,
    ProblemStatus.VOIDED: 40,
}
# Group (三) entries close only with a clue transferred or a reason not to (campaign.problems).
_NO_TRANSFER = "经核实系工作疏漏，无侵占故意，已全额追回并发放到户，由镇纪委进行提醒谈话"

Say = Callable[[str], None]


@dataclass(frozen=True)
class Pattern:
    stage: ProblemStatus
    problem: dict[str, Any]  # the template entry's columns
    template: CaseTemplate
    evidence: dict[str, Any] | None  # the template's evidence row, copied per entry
    money: tuple[int, int, int]  # amount, recovered, returned (分)


def _person(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    assert user is not None
    return user


def _open_item(session: Session, problem: Problem) -> int:
    return session.scalars(
        select(WorkItem.id).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()


def _steps(stage: ProblemStatus, story: Story, township: str) -> list[tuple[str, dict[str, Any]]]:
    """(who, data) of each task from registration to the stage: who is "officer",
    "reviewer" or "office"."""
    today = clock.local_now().date()
    review: dict[str, Any] = {
        "review_decision": "approve",
        "responsible_unit": township,
        "responsible_person": "王主任",
        "rectify_type": "deadline",
        "measures": "追回或补发资金，完善发放台账",
        "deadline": (today + timedelta(days=90)).isoformat(),
    }
    if stage is ProblemStatus.CORRECTING:
        return [("reviewer", {"review_decision": "return", "review_return_reason": "金额需核实"})]
    if stage in (ProblemStatus.VOIDING, ProblemStatus.VOIDED):
        steps: list[tuple[str, dict[str, Any]]] = [
            ("reviewer", {"review_decision": "void", "void_reason": "经入户核实不属实"})
        ]
        if stage is ProblemStatus.VOIDED:
            steps.append(("office", {"void_decision": "approve", "void_opinion": "同意"}))
        return steps
    order = list(STAGES)
    steps = [] if stage is ProblemStatus.REVIEWING else [("reviewer", review)]
    if stage is ProblemStatus.EXTENSION:
        extend: dict[str, Any] = {
            "action": "extend",
            "extension_reason": "农户外出务工，无法当面退还",
            "requested_deadline": (today + timedelta(days=120)).isoformat(),
        }
        return [*steps, ("officer", extend)]
    if order.index(stage) >= order.index(ProblemStatus.SIGNOFF):
        returned = story.returned if story.returned != "0" else story.amount
        submit: dict[str, Any] = {
            "action": "submit",
            "measures_taken": "已追回并足额发放到户",
            "amount_recovered": story.recovered,
            "amount_returned": returned,
            "no_transfer_reason": story.no_transfer_reason or _NO_TRANSFER,
            "completed_on": today.isoformat(),
            "evidence": [],
        }
        steps.append(("officer", submit))
    if order.index(stage) >= order.index(ProblemStatus.DISCLOSING):
        signoff: dict[str, Any] = {"signoff_decision": "approve", "no_transfer_approved": True}
        steps.append(("office", signoff))
    if order.index(stage) >= order.index(ProblemStatus.CLOSING):
        public: dict[str, Any] = {
            "public_text": story.description + "。已整改到位，资金已足额发放。"
        }
        steps += [("officer", public), ("office", {"disclosure_decision": "approve"})]
    if stage is ProblemStatus.CLOSED:
        steps.append(("office", {"closing_note": "整改到位，予以销号"}))
    return steps


def _run(
    session: Session,
    host: CampaignHost,
    data_dir: Path,
    people: dict[str, User],
    township: str,
    village: str,
    stage: ProblemStatus,
    story: Story,
) -> Problem:
    """One entry taken to `stage` through the real services."""
    officer = people["officer"]
    problem = problems.register(
        session,
        host,
        officer,
        township,
        {
            "source": "self_inspection",
            "village": village,
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
    for who, data in _steps(stage, story, township):
        if data.get("action") == "submit":
            evidence = files.store(
                session,
                data_dir,
                people[who],
                problem.case_id or 0,
                "整改佐证（示例）.pdf",
                io.BytesIO(DEMO_PDF),
            )
            data = {**data, "evidence": [str(evidence.id)]}
        tasks.complete(session, host, people[who], _open_item(session, problem), data)
    session.flush()
    if problem.status != stage.value:
        # The lifecycle is not the shipped one any more (an administrator deployed another).
        raise Conflict(
            f"示例问题未按预定步骤到达“{stage.label}”（实际为“{problem.status_label}”）："
            "问题处置流程已不是出厂版本，无法建立示例省"
        )
    return problem


def _tokens(problem: Problem, village: str, township: str, evidence: int | None) -> list[str]:
    """The pieces of the case's serialized data that differ between copies."""
    return [
        f'"problem_id": {problem.id}',
        json.dumps(problem.number),
        f'"village": "{village}"',
        f'"responsible_unit": "{township}"',
        f'"evidence": [{evidence or 0}]',
        f'"amount": {problem.amount_fen}',
        f'"amount_recovered": {problem.recovered_fen}',
        f'"amount_returned": {problem.returned_fen}',
    ]


def make_patterns(
    session: Session, host: CampaignHost, data_dir: Path, made: Province, say: Say
) -> list[list[Pattern]]:
    """Per stage (in STAGES' order), one pattern per story, from real runs."""
    township = next(iter(made.township_ids))
    village = made.villages[township][0][0]
    people = {
        "officer": _person(session, made.officers[township][0]),
        "reviewer": _person(session, made.reviewers[township][0]),
        "office": session.scalars(select(User).where(User.username == "ldxz_ban")).one(),
    }
    patterns: list[list[Pattern]] = []
    for stage in STAGES:
        these = []
        for story in STORIES:
            problem = _run(session, host, data_dir, people, township, village, stage, story)
            evidence = session.scalars(
                select(Attachment).where(Attachment.case_id == problem.case_id)
            ).first()
            template = CaseTemplate(
                session,
                problem.case_id or 0,
                _tokens(problem, village, township, evidence.id if evidence else None),
            )
            _check_template(template, township, village)
            columns = {
                c.key: getattr(problem, c.key) for c in Problem.__table__.columns if c.key != "id"
            }
            copied = None
            if evidence is not None:
                copied = {
                    c.key: getattr(evidence, c.key)
                    for c in Attachment.__table__.columns
                    if c.key not in ("id", "case_id")
                }
            money = (problem.amount_fen, problem.recovered_fen, problem.returned_fen)
            these.append(Pattern(stage, columns, template, copied, money))
        patterns.append(these)
        say(f"模板：{stage.label} {len(these)} 个（真实流程运行）")
    return patterns


def _check_template(template: CaseTemplate, township: str, village: str) -> None:
    """Nothing of the template's own entry may be left in a copy's text."""
    texts = [template.state.text] + [layout.text for layout, _ in template.events]
    for text in texts:
        if township in text or village in text:
            raise Conflict(f"示例模板中仍有未替换的单位代码 {township}，无法复制")
