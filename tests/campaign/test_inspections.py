"""明察暗访: a visit recorded by the office, each finding registered through the normal
registration in the ledger of the unit where it was found, and the refusals (a finding in
another unit's village, missing fields, a second submit, someone other than the office)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import case_starts, inspections, tasks
from campaign.models import Inspection, InspectionFinding, Problem
from campaign.workflow_host import CampaignHost
from core.errors import AppError, InvalidInput, NotAllowed
from engine.models import WorkItem
from tests.campaign.conftest import user

OFFICE = "ldxz_ban"
VISIT = {"visited_on": "2022-06-14", "places": "青山镇青山村 3 户", "team": "区财金局 王某、李某"}
FINDING = {
    "finding_decision": "register",
    "unit": "QSZ",
    "village": "QSZ01",
    "programme": "P11",
    "focus_item": "3.3",
    "stat_category": "S02",
    "description": "村会计代领农户耕地地力保护补贴 1200 元未发放",
    "amount": "1200.00",
    "households": "1",
}
NO_MORE = {"finding_decision": "none"}


def recorded(session: Session, host: CampaignHost, **overrides: Any) -> Inspection:
    return inspections.start(session, host, user(session, OFFICE), {**VISIT, **overrides})


def open_step(session: Session, visit: Inspection) -> WorkItem:
    items = session.scalars(
        select(WorkItem).where(WorkItem.case_id == visit.case_id, WorkItem.state == "open")
    ).all()
    assert len(items) == 1, [i.bpmn_id for i in items]
    return items[0]


def do(session: Session, host: CampaignHost, visit: Inspection, data: dict[str, Any]) -> WorkItem:
    step = open_step(session, visit)
    tasks.complete(session, host, user(session, OFFICE), step.id, data)
    return step


def _entries(session: Session) -> int:
    return session.scalar(select(func.count(Problem.id))) or 0


def test_each_finding_becomes_a_ledger_entry_of_its_unit_with_source_unannounced_visit(
    db_session: Session, host: CampaignHost
) -> None:
    visit = recorded(db_session, host)
    assert visit.number.startswith("AF-2022-") and visit.status == "recording"
    assert open_step(db_session, visit).bpmn_id == "inspection_finding"
    do(db_session, host, visit, FINDING)
    do(db_session, host, visit, {**FINDING, "village": "", "description": "第二个问题"})
    assert open_step(db_session, visit).bpmn_id == "inspection_finding"  # open again
    do(db_session, host, visit, NO_MORE)
    assert open_step(db_session, visit).bpmn_id == "inspection_summary"
    do(db_session, host, visit, {"summary": "暗访 1 个村 3 户，发现问题 2 个"})
    assert visit.status == "done" and visit.summary.startswith("暗访")
    assert len(visit.findings) == 2
    first = visit.findings[0].problem
    assert first.source == "unannounced_visit" and first.unit.code == "QSZ"
    assert first.village is not None and first.village.code == "QSZ01"
    assert first.discovered_on.isoformat() == "2022-06-14"
    assert visit.number in first.description and first.amount_fen == 120000
    assert first.case_id is not None  # its own lifecycle, waiting for the unit's review
    review = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == first.case_id, WorkItem.state == "open")
    ).one()
    assert review.unit_id == first.unit_id and review.role == "reviewer"
    assert inspections.listed(db_session)[0] == (visit, 2)


def test_a_visit_with_no_findings_registers_nothing(
    db_session: Session, host: CampaignHost
) -> None:
    before = _entries(db_session)
    visit = recorded(db_session, host)
    do(db_session, host, visit, NO_MORE)
    do(db_session, host, visit, {"summary": "未发现问题"})
    assert _entries(db_session) == before and visit.findings == []


def test_bad_visits_and_findings_are_refused_field_by_field(
    db_session: Session, host: CampaignHost
) -> None:
    with pytest.raises(InvalidInput) as refused:
        recorded(db_session, host, visited_on="2022-07-01", places="", team=" ")
    assert {"visited_on", "places", "team"} <= set(refused.value.fields)
    visit = recorded(db_session, host)
    before = _entries(db_session)
    with pytest.raises(InvalidInput) as missing:
        do(db_session, host, visit, {"finding_decision": "register"})
    assert {"unit", "programme", "description"} <= set(missing.value.fields)
    with pytest.raises(InvalidInput) as elsewhere:  # 白沙镇's village in 青山镇's ledger
        do(db_session, host, visit, {**FINDING, "village": "BSZ01"})
    assert "village" in elsewhere.value.fields
    assert _entries(db_session) == before
    assert open_step(db_session, visit).bpmn_id == "inspection_finding"


def test_a_second_submit_of_one_finding_registers_it_once(
    db_session: Session, host: CampaignHost
) -> None:
    visit = recorded(db_session, host)
    step = do(db_session, host, visit, FINDING)
    before = _entries(db_session)
    with pytest.raises(AppError):
        tasks.complete(db_session, host, user(db_session, OFFICE), step.id, FINDING)
    assert _entries(db_session) == before
    assert db_session.scalar(select(func.count(InspectionFinding.id))) == 1


def test_only_the_office_records_visits_and_the_process_is_not_started_by_hand(
    db_session: Session, host: CampaignHost
) -> None:
    for username in ("qsz_jbr", "qsz_fzr", "zb1_cy"):
        with pytest.raises(NotAllowed):
            inspections.start(db_session, host, user(db_session, username), VISIT)
    visit = recorded(db_session, host)
    with pytest.raises(AppError):  # a township's officer cannot work the office's step
        tasks.complete(
            db_session, host, user(db_session, "qsz_jbr"), open_step(db_session, visit).id, FINDING
        )
    assert inspections.PROCESS_KEY in case_starts.SERVICE_STARTED
    assert not inspections.may_see(db_session, user(db_session, "qsz_jbr"), visit)
