"""问责: a proposal resting on the unit's overdue tasks and returned reports (picked from
them, never another unit's), the office head's decision, the unit's signature; refusals."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import accountability, case_starts, choices, obligations, tasks
from campaign.models import Accountability, Obligation, Unit
from campaign.workflow_host import CampaignHost
from core.errors import AppError, InvalidInput, NotAllowed
from engine.host import CaseContext
from engine.models import WorkItem
from forms import registry
from tests.campaign.conftest import user
from tests.factories import make_user

OFFICE, HEAD = "ldxz_ban", "ldxz_fzr"
MONTHLY = {
    "visited_persons": "120",
    "visited_households": "48",
    "cards_found": "300",
    "banks_involved": "3",
    "cards_illegal": "2",
    "content": "本月入户走访48户",
}


def _report(session: Session, unit: str, period: str) -> Obligation:
    return session.scalars(
        select(Obligation)
        .join(Unit, Unit.id == Obligation.unit_id)
        .where(
            Unit.code == unit,
            Obligation.deadline_code == "monthly_report",
            Obligation.period == period,
        )
    ).one()


def _open(session: Session, case_id: int | None) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open")
    ).one()


@pytest.fixture
def grounds(db_session: Session, host: CampaignHost) -> tuple[WorkItem, Obligation]:
    """青山镇's May report, overdue since 23 May, and its June report filed and returned by
    the office."""
    obligations.start_due(db_session, host, today=date(2022, 6, 15))
    may = _report(db_session, "QSZ", "2022-05")
    overdue = _open(db_session, may.case_id)
    assert overdue.due_at is not None
    june = _report(db_session, "QSZ", "2022-06")
    tasks.complete(
        db_session, host, user(db_session, "qsz_jbr"), _open(db_session, june.case_id).id, MONTHLY
    )
    for username, data in (
        ("qsz_fzr", {"report_decision": "approve"}),
        (OFFICE, {"office_decision": "return", "return_reason": "走访户数与名单不符"}),
    ):
        item = _open(db_session, june.case_id)
        tasks.complete(db_session, host, user(db_session, username), item.id, data)
    assert june.times_returned == 1
    return overdue, june


def proposal(overdue: WorkItem, report: Obligation, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "unit": "QSZ",
        "person_name": "",
        "conduct": "buck_passing",
        "measure": "interview",
        "grounds": "月报多次逾期、退回后仍不重报，互相推诿",
        "overdue_items": [str(overdue.id)],
        "returned_reports": [str(report.id)],
    }
    data.update(overrides)
    return data


def test_a_decision_rests_on_the_picked_items_and_goes_to_the_head_then_the_unit(
    db_session: Session, host: CampaignHost, grounds: tuple[WorkItem, Obligation]
) -> None:
    overdue, april = grounds
    decision = accountability.propose(
        db_session, host, user(db_session, OFFICE), proposal(overdue, april)
    )
    assert decision.number.startswith("WZ-2022-") and decision.status == "proposed"
    assert [g.work_item_id for g in decision.grounds_items] == [overdue.id, None]
    assert decision.grounds_items[1].obligation_id == april.id
    assert "逾期" in decision.grounds_items[0].described
    assert "退回 1 次" in decision.grounds_items[1].described
    step = _open(db_session, decision.case_id)
    assert step.bpmn_id == "accountability_approve" and step.role == "reviewer"
    officer = user(db_session, "qsz_jbr")
    assert not accountability.may_see(db_session, officer, decision)  # not before the decision
    with pytest.raises(AppError):  # the proposer does not decide
        tasks.complete(db_session, host, user(db_session, OFFICE), step.id, {})
    tasks.complete(
        db_session, host, user(db_session, HEAD), step.id, {"approve_decision": "approve"}
    )
    assert decision.status == "decided" and decision.decided_at is not None
    sign = _open(db_session, decision.case_id)
    assert sign.bpmn_id == "accountability_acknowledge" and sign.role == "reviewer"
    assert sign.unit_id == decision.unit_id
    assert accountability.may_see(db_session, officer, decision)
    tasks.complete(
        db_session, host, user(db_session, "qsz_fzr"), sign.id, {"unit_response": "已整改"}
    )
    assert decision.status == "done" and decision.unit_response == "已整改"
    assert accountability.figures(db_session)["done"] >= 1
    assert decision in accountability.listed(db_session, officer, "done")


def test_a_rejected_proposal_ends_with_the_reason(
    db_session: Session, host: CampaignHost, grounds: tuple[WorkItem, Obligation]
) -> None:
    overdue, april = grounds
    decision = accountability.propose(
        db_session, host, user(db_session, OFFICE), proposal(overdue, april, person_name="张某")
    )
    step = _open(db_session, decision.case_id)
    with pytest.raises(InvalidInput) as missing:
        tasks.complete(
            db_session, host, user(db_session, HEAD), step.id, {"approve_decision": "reject"}
        )
    assert "reject_reason" in missing.value.fields
    tasks.complete(
        db_session,
        host,
        user(db_session, HEAD),
        step.id,
        {"approve_decision": "reject", "reject_reason": "逾期系系统故障所致"},
    )
    assert decision.status == "rejected" and decision.opinion == "逾期系系统故障所致"
    assert decision.target == "青山镇 张某"


def test_grounds_of_another_unit_or_none_at_all_are_refused(
    db_session: Session, host: CampaignHost, grounds: tuple[WorkItem, Obligation]
) -> None:
    overdue, april = grounds
    office = user(db_session, OFFICE)
    before = db_session.scalar(select(func.count(Accountability.id)))
    with pytest.raises(InvalidInput) as none:
        accountability.propose(
            db_session,
            host,
            office,
            proposal(overdue, april, overdue_items=[], returned_reports=[]),
        )
    assert none.value.fields == {"overdue_items": accountability.NO_GROUNDS}
    with pytest.raises(InvalidInput) as elsewhere:  # 青山镇's task named for 白沙镇
        accountability.propose(db_session, host, office, proposal(overdue, april, unit="BSZ"))
    assert {"overdue_items", "returned_reports"} <= set(elsewhere.value.fields)
    with pytest.raises(InvalidInput) as bad:
        accountability.propose(
            db_session,
            host,
            office,
            proposal(overdue, april, measure="fire", grounds="", overdue_items=["x1"]),
        )
    assert {"measure", "grounds", "overdue_items"} <= set(bad.value.fields)
    with pytest.raises(InvalidInput) as post_only:
        accountability.propose(
            db_session, host, office, proposal(overdue, april, person_post="会计")
        )
    assert "person_name" in post_only.value.fields
    assert db_session.scalar(select(func.count(Accountability.id))) == before


def test_only_the_office_proposes_and_the_process_is_not_started_by_hand(
    db_session: Session, host: CampaignHost, grounds: tuple[WorkItem, Obligation]
) -> None:
    overdue, april = grounds
    for username in ("qsz_fzr", HEAD, "jjw_jc"):
        with pytest.raises(NotAllowed):
            accountability.propose(
                db_session, host, user(db_session, username), proposal(overdue, april)
            )
    assert accountability.PROCESS_KEY in case_starts.SERVICE_STARTED


def test_a_second_decision_on_the_same_step_is_refused(
    db_session: Session, host: CampaignHost, grounds: tuple[WorkItem, Obligation]
) -> None:
    overdue, april = grounds
    make_user(db_session, "ldxz_fzr2", unit_code="CJJ-ZHK", role="reviewer")
    decision = accountability.propose(
        db_session, host, user(db_session, OFFICE), proposal(overdue, april)
    )
    step = _open(db_session, decision.case_id)
    tasks.complete(
        db_session, host, user(db_session, HEAD), step.id, {"approve_decision": "approve"}
    )
    with pytest.raises(AppError):
        tasks.complete(
            db_session,
            host,
            user(db_session, "ldxz_fzr2"),
            step.id,
            {"approve_decision": "reject", "reject_reason": "重复"},
        )
    assert decision.status == "decided"


def test_an_overdue_task_beyond_the_listed_ones_may_be_named(
    db_session: Session,
    host: CampaignHost,
    grounds: tuple[WorkItem, Obligation],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page lists a unit's most overdue tasks up to a bound (500); the API and the command
    line may name any other of the unit's overdue tasks, each checked on its own row, and
    still never another unit's nor one not overdue."""
    overdue, june = grounds
    monkeypatch.setattr("campaign.choices.OVERDUE_ITEMS_LISTED", 0)
    office = user(db_session, OFFICE)
    assert choices.options(db_session, "overdue_items", CaseContext(), {"unit": "QSZ"}) == []
    decision = accountability.propose(
        db_session, host, office, proposal(overdue, june, overdue_items=[overdue.id])
    )
    assert [g.work_item_id for g in decision.grounds_items][:1] == [overdue.id]
    assert "逾期" in decision.grounds_items[0].described
    elsewhere = db_session.scalars(
        select(WorkItem)
        .join(Unit, Unit.id == WorkItem.unit_id)
        .where(Unit.code == "BSZ", WorkItem.state == "open", WorkItem.due_at.is_not(None))
    ).first()
    assert elsewhere is not None
    not_overdue = _open(db_session, june.case_id)  # the returned report, due again later
    for named in (elsewhere.id, not_overdue.id, 2**31, "1" * 30, True):
        with pytest.raises(InvalidInput) as refused:
            accountability.propose(
                db_session,
                host,
                office,
                proposal(overdue, june, overdue_items=[str(overdue.id), named]),
            )
        assert "overdue_items" in refused.value.fields, named


def test_the_form_says_how_many_overdue_tasks_it_lists() -> None:
    """The page lists a unit's most overdue tasks up to a bound: its help says so, with the
    bound the source applies, so a unit with more is not taken for one with that many."""
    form = registry.get("accountability_propose")
    assert form is not None
    field = next(f for f in form.fields if f.name == "overdue_items")
    assert f"最多列出 {choices.OVERDUE_ITEMS_LISTED} 项" in field.help
