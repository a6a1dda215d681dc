"""The demo province (`ykt demo province`) at a small scale: every stage present, each copied
case opened and taken on by the engine, the inbox showing each township its work, and the
statutory tables agreeing with the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import problems, province, province_build, tasks
from campaign.models import Attachment, Problem, Unit, User
from campaign.province_templates import STAGES
from campaign.reports.reconciliation import check_figures
from campaign.reports.scope import report_scope
from campaign.workflow_host import CampaignHost
from core.errors import Conflict, InvalidInput
from engine import cases, workitems
from engine.models import Case, CaseEvent, WorkItem
from tests.campaign.conftest import registered, registration

SCALE = 0.0016  # 1 county, 2 townships, 40 villages, 1,600 entries


def _user(session: Session, name: str) -> User:
    return session.scalars(select(User).where(User.username == name)).one()


def _next_step(problem: Problem) -> tuple[str, dict[str, Any], str]:
    """Who does the open step of an entry at its stage, with what, and the stage after."""
    code = problem.unit.code.lower()
    officer, reviewer, office = f"{code}_jbr", f"{code}_fzr", "ldxz_ban"
    return {
        "reviewing": (
            reviewer,
            {
                "review_decision": "approve",
                "responsible_unit": problem.unit.code,
                "responsible_person": "责任人",
                "rectify_type": "deadline",
                "measures": "整改",
                "deadline": "2022-09-30",
            },
            "rectifying",
        ),
        "correcting": (
            officer,
            registration(village=problem.village.code if problem.village else ""),
            "reviewing",
        ),
        "rectifying": (
            officer,
            {
                "action": "extend",
                "extension_reason": "外出务工",
                "requested_deadline": "2022-10-31",
            },
            "extension",
        ),
        "extension": (
            office,
            {
                "extension_decision": "approve",
                "new_deadline": "2022-10-15",
                "extension_opinion": "同意",
            },
            "rectifying",
        ),
        "signoff": (
            office,
            {"signoff_decision": "approve", "no_transfer_approved": True},
            "disclosing",
        ),
        "disclosing": (officer, {"public_text": "已整改到位。"}, "disclosing"),
        "closing": (office, {"closing_note": "予以销号"}, "closed"),
        "voiding": (office, {"void_decision": "approve", "void_opinion": "同意"}, "voided"),
    }[problem.status]


@pytest.fixture
def built(db_session: Session, tmp_path: Path) -> province_build.Built:
    return province_build.build(db_session, tmp_path, SCALE, force=True, say=lambda _line: None)


def test_a_small_province_has_every_stage_and_its_tables_agree_with_the_ledger(
    db_session: Session, built: province_build.Built
) -> None:
    assert built.entries == 1600
    statuses = set(db_session.scalars(select(Problem.status).distinct()))
    assert {stage.value for stage in STAGES} <= statuses
    counties, townships, villages = province.sizes(SCALE)
    township_units = db_session.scalars(
        select(Unit).where(Unit.kind == "township", Unit.code.like("X%"))
    ).all()
    assert len(township_units) == townships == 2
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(Unit)
            .where(Unit.kind == "village", Unit.code.like("X%"))
        )
        == villages
    )
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(Unit)
            .where(Unit.kind == "district", Unit.code.like("X%"))
        )
        == counties
    )
    # Each entry has its case, and each case is the entry's.
    unmatched = db_session.scalar(
        select(func.count())
        .select_from(Problem)
        .join(Case, Case.id == Problem.case_id)
        .where(Case.subject_id != Problem.id)
    )
    assert unmatched == 0
    task_records = built.rows["work_item"] + built.rows["case_event"]
    assert task_records >= 9 * (built.entries - 60)
    # Money of evidence-bearing entries: each copy has an evidence file of its own case.
    foreign = db_session.scalar(
        select(func.count())
        .select_from(Attachment)
        .join(Problem, Problem.case_id == Attachment.case_id, isouter=True)
        .where(Problem.id.is_(None))
    )
    assert foreign == 0
    found = check_figures(db_session, report_scope(db_session))
    assert found.errors == []


def test_a_copied_case_of_every_open_stage_is_completed_by_the_people_of_its_township(
    db_session: Session, built: province_build.Built
) -> None:
    host = CampaignHost()
    second = db_session.scalars(select(Unit.id).where(Unit.code == "X001T02")).one()
    for stage in STAGES:
        if stage.value in ("closed", "voided"):
            continue
        problem = db_session.scalars(
            select(Problem)
            .where(Problem.status == stage.value, Problem.unit_id == second)
            .order_by(Problem.id.desc())
        ).first()
        assert problem is not None
        who, data, after = _next_step(problem)
        person = _user(db_session, who)
        item = db_session.scalars(
            select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
        ).one()
        if item.role in ("officer", "reviewer"):
            assert item.unit_id == problem.unit_id
            assert item.id in workitems.first_page_ids(
                db_session, item.unit_id or 0, item.role, 1000
            )
        tasks.complete(db_session, host, person, item.id, data)
        db_session.flush()
        db_session.refresh(problem)
        assert problem.status == after, stage
        history = problems.history(db_session, problem)
        assert history[0].kind == "started"
        assert f'"problem_id": {problem.id}' in history[0].data
        assert f'"problem_number": "{problem.number}"' in history[0].data
    closed = db_session.scalars(
        select(Problem)
        .where(Problem.status == "closed", Problem.unit_id == second)
        .order_by(Problem.id.desc())
    ).first()
    assert closed is not None
    case = db_session.get(Case, closed.case_id)
    assert case is not None and case.status == "completed"
    workflow = cases.load(db_session, case)
    assert workflow.is_completed()
    assert workflow.data["problem_id"] == closed.id
    assert workflow.data["problem_number"] == closed.number
    assert workflow.data["amount"] == closed.amount_fen
    events = db_session.scalar(
        select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == closed.case_id)
    )
    assert events == 8
    assert check_figures(db_session, report_scope(db_session)).errors == []


def test_a_province_is_built_only_where_it_is_asked_for(
    db_session: Session, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput):
        province_build.build(db_session, tmp_path, 0, say=lambda _line: None)
    if db_session.get_bind().dialect.name == "sqlite":
        with pytest.raises(InvalidInput, match="PostgreSQL"):
            province_build.build(db_session, tmp_path, 1.0, force=True, say=lambda _line: None)
    registered(db_session, CampaignHost(), registration())
    with pytest.raises(Conflict, match="--force"):
        province_build.build(db_session, tmp_path, SCALE, say=lambda _line: None)
    province_build.build(db_session, tmp_path, SCALE, force=True, say=lambda _line: None)
    with pytest.raises(Conflict, match="已有示例省"):
        province_build.build(db_session, tmp_path, SCALE, force=True, say=lambda _line: None)
