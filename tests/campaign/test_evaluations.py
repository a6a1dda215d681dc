"""效果评估: a follow-up visit of a closed problem by its unit, its answers in the figures
and the figures' lists, overdue by the one rule; refusals (not closed, asked twice, the wrong
unit, a second submit, bad input)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import case_starts, evaluations, problems, tasks
from campaign.models import Evaluation, Problem
from campaign.workflow_host import CampaignHost
from core import clock
from core.errors import AppError, Conflict, InvalidInput, NotAllowed
from engine.models import WorkItem
from tests.campaign.conftest import registration, user
from tests.campaign.test_key_checks_and_reopen import closed_problem
from tests.factories import make_user

OFFICE = "ldxz_ban"
REQUEST = {"method": "household", "due_on": "2022-06-25"}
ANSWER = {
    "visited_on": "2022-06-15",
    "money": "arrived",
    "satisfaction": "satisfied",
    "note": "农户确认补贴已于 6 月补发到卡",
}


def _open(session: Session, evaluation: Evaluation) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == evaluation.case_id, WorkItem.state == "open")
    ).one()


def test_the_unit_visits_and_the_answers_count_in_the_figures_and_their_lists(
    db_session: Session, host: CampaignHost
) -> None:
    problem = closed_problem(db_session, host)
    office = user(db_session, OFFICE)
    evaluation = evaluations.request_visit(db_session, host, office, problem.id, REQUEST)
    step = _open(db_session, evaluation)
    assert step.bpmn_id == "evaluation_visit" and step.unit_id == problem.unit_id
    assert step.due_at is not None
    assert step.due_at.astimezone(clock.LOCAL_TZ).date().isoformat() == "2022-06-25"
    before = evaluations.figures(db_session)
    assert before.visiting >= 1 and before.overdue == 0
    tasks.complete(db_session, host, user(db_session, "qsz_jbr"), step.id, ANSWER)
    assert evaluation.status == "done" and evaluation.money == "arrived"
    assert evaluation.visited_on is not None and evaluation.satisfaction_label == "满意"
    shown = evaluations.figures(db_session)
    assert shown.done == before.done + 1
    assert shown.satisfaction["satisfied"] == before.satisfaction["satisfied"] + 1
    assert shown.money["arrived"] == before.money["arrived"] + 1
    listed = evaluations.listed(db_session, office, satisfaction="satisfied", money="arrived")
    assert evaluation in listed
    assert len(evaluations.listed(db_session, office, status="done")) == shown.done
    assert problem not in evaluations.closed_without_evaluation(db_session)


def test_a_visit_not_done_by_its_deadline_is_overdue(
    db_session: Session, host: CampaignHost
) -> None:
    problem = closed_problem(db_session, host)
    office = user(db_session, OFFICE)
    evaluation = evaluations.request_visit(db_session, host, office, problem.id, REQUEST)
    clock.freeze(datetime(2022, 6, 26, 1, 0, tzinfo=UTC))
    assert evaluations.listed(db_session, office, status="overdue") == [evaluation]
    assert evaluations.figures(db_session).overdue == 1


def test_refusals(db_session: Session, host: CampaignHost) -> None:
    office = user(db_session, OFFICE)
    open_problem = problems.register(
        db_session, host, user(db_session, "qsz_jbr"), "QSZ", registration()
    )
    with pytest.raises(InvalidInput, match="已销号"):
        evaluations.request_visit(db_session, host, office, open_problem.id, REQUEST)
    with pytest.raises(InvalidInput, match="已销号"):
        evaluations.request_visit(db_session, host, office, 10**9, REQUEST)
    problem = closed_problem(db_session, host)
    with pytest.raises(NotAllowed):
        evaluations.request_visit(
            db_session, host, user(db_session, "qsz_fzr"), problem.id, REQUEST
        )
    with pytest.raises(InvalidInput) as bad:
        evaluations.request_visit(
            db_session, host, office, problem.id, {"method": "phone", "due_on": ""}
        )
    assert set(bad.value.fields) == {"method", "due_on"}
    evaluation = evaluations.request_visit(db_session, host, office, problem.id, REQUEST)
    with pytest.raises(Conflict):
        evaluations.request_visit(db_session, host, office, problem.id, REQUEST)
    step = _open(db_session, evaluation)
    make_user(db_session, "bsz_jbr", unit_code="BSZ")
    with pytest.raises(AppError):  # another township's officer
        tasks.complete(db_session, host, user(db_session, "bsz_jbr"), step.id, ANSWER)
    officer = user(db_session, "qsz_jbr")
    with pytest.raises(InvalidInput) as early:
        tasks.complete(db_session, host, officer, step.id, {**ANSWER, "visited_on": "2022-06-01"})
    assert "visited_on" in early.value.fields
    with pytest.raises(InvalidInput) as missing:
        tasks.complete(db_session, host, officer, step.id, {"visited_on": "2022-06-15"})
    assert {"money", "satisfaction", "note"} <= set(missing.value.fields)
    tasks.complete(db_session, host, officer, step.id, ANSWER)
    with pytest.raises(AppError):
        tasks.complete(db_session, host, officer, step.id, {**ANSWER, "money": "not_arrived"})
    assert evaluation.money == "arrived"
    assert evaluations.PROCESS_KEY in case_starts.SERVICE_STARTED
    assert isinstance(db_session.get(Problem, problem.id), Problem)
