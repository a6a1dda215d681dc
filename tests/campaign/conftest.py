from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import obligations, problems, tasks
from campaign.models import (
    Attachment,
    Campaign,
    Obligation,
    Problem,
    SpotCheckSample,
    Unit,
    User,
)
from campaign.workflow_host import CampaignHost
from core import clock
from engine.models import WorkItem

# Mid-June 2022: the campaign's 集中整治 phase.
NOW = datetime(2022, 6, 15, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _campaign_time() -> Iterator[None]:
    clock.freeze(NOW)
    yield
    clock.reset()


@pytest.fixture
def host() -> CampaignHost:
    return CampaignHost()


def user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def registration(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": "self_inspection",
        "village": "QSZ01",
        "programme": "P11",
        "focus_item": "3.3",
        "stat_category": "S02",
        "description": "村会计截留耕地地力保护补贴，涉及农户张某，身份证420704198801011234",
        "amount": "3600.00",
        "cards": "0",
        "households": "3",
        "persons": "7",
        "discovered_on": "2022-06-10",
    }
    data.update(overrides)
    return data


# A problem of group (一) counted in money: 发放不及时不足额 (1.2) × 未足额发放.
SHORT_PAID = registration(focus_item="1.2", stat_category="S08", amount="5000.00")


def registered(session: Session, host: CampaignHost, data: dict[str, Any]) -> Problem:
    """A problem registered for 青山镇 by its officer, through the real service."""
    return problems.register(session, host, user(session, "qsz_jbr"), "QSZ", data)


def approval(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "review_decision": "approve",
        "responsible_unit": "QSZ",
        "responsible_person": "李主任",
        "rectify_type": "deadline",
        "measures": "追回截留资金并足额发放",
        "deadline": "2022-07-15",
    }
    data.update(overrides)
    return data


EVIDENCE = "已上传的佐证"  # stands for a file uploaded to the case: see do()


def submission(**overrides: Any) -> dict[str, Any]:
    """The rectification report of a responsible unit, evidence already uploaded."""
    data: dict[str, Any] = {
        "action": "submit",
        "measures_taken": "已追回",
        "completed_on": "2022-06-15",
        "evidence": [EVIDENCE],
        # The registration's focus item 3.3 is of group (三): without a clue the unit says
        # why none is transferred, and the office agrees at sign-off (SIGNED_OFF).
        "no_transfer_reason": "经核实系工作失误，未发现以权谋私",
    }
    data.update(overrides)
    return data


SIGNED_OFF = {"signoff_decision": "approve", "no_transfer_approved": True}


def open_step(session: Session, problem: Problem) -> WorkItem:
    items = session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).all()
    assert len(items) == 1, [i.bpmn_id for i in items]
    return items[0]


def do(
    session: Session, host: CampaignHost, username: str, problem: Problem, data: dict[str, Any]
) -> WorkItem:
    """Complete the problem's open step as the given user; returns the step completed."""
    step = open_step(session, problem)
    person = user(session, username)
    if data.get("evidence") == [EVIDENCE]:
        data = {**data, "evidence": [str(uploaded(session, step.case_id, person).id)]}
    tasks.complete(session, host, person, step.id, data)
    return step


def uploaded(session: Session, case_id: int, person: User) -> Attachment:
    """An evidence file of the case, as an upload records it (the file itself is not read)."""
    attachment = Attachment(
        case_id=case_id,
        filename="整改凭证.pdf",
        content_type="application/pdf",
        size=4,
        sha256="0" * 64,
        uploaded_by=person.id,
    )
    session.add(attachment)
    session.flush()
    return attachment


def drawn_sample(session: Session, campaign: Campaign, seed: int) -> list[SpotCheckSample]:
    """A spot check of 青山镇 (QSZ) owed in the campaign, its sample drawn with the seed."""
    township = session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
    report = Obligation(
        campaign_id=campaign.id,
        deadline_code="spot_check",
        period="2099",
        unit_id=township.id,
        due_on=date(campaign.year, 7, 31),
    )
    session.add(report)
    session.flush()
    return obligations.draw_sample(session, report, seed)
