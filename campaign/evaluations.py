"""效果评估: the leading group office asks for a follow-up visit, a household survey or a
questionnaire about a closed problem; the problem's unit carries it out by a deadline
(workflows/evaluation.bpmn, overdue by the one rule) and records whether the money arrived and
how satisfied the people are. The figures on 督办 count the answers; each links to its list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from campaign import audit, choices, notifications, supervision, visibility
from campaign.actors import actor_for
from campaign.current import ensure_open, shown_id
from campaign.models import Evaluation, Problem, User
from campaign.models.accounts import UNIT_ROLES
from campaign.models.evaluations import MONEY, SATISFACTION
from campaign.models.ledger import ProblemStatus
from campaign.org import unit_by_code
from campaign.reference_data import LEADING_OFFICE_CODE
from core import clock, paging
from core.errors import Conflict, InvalidInput, NotAllowed
from engine import cases, workitems
from engine.host import CaseContext, EngineHost
from engine.models import Case, CaseStatus, WorkItem

PROCESS_KEY = "evaluation"
REQUEST_FORM = "evaluation_request"


def requests_visits(user: User) -> bool:
    return supervision.issues_orders(user)


def request_visit(
    session: Session, host: EngineHost, user: User, problem_id: int, data: Mapping[str, Any]
) -> Evaluation:
    """One evaluation of a closed problem; refused for a problem not closed and while another
    evaluation of it is still open."""
    if not requests_visits(user):
        raise NotAllowed("只有领导小组办公室可以安排回访")
    problem = session.get(Problem, problem_id)
    if problem is None or problem.status != ProblemStatus.CLOSED.value:
        raise InvalidInput("只能对已销号的问题安排回访")
    ensure_open(session, problem.campaign_id)
    clean = _clean(session, data)
    pending = select(Evaluation.id).where(
        Evaluation.problem_id == problem.id, Evaluation.status == "visiting"
    )
    if session.scalar(pending.with_for_update()) is not None:
        raise Conflict(f"问题 {problem.number} 已安排回访，尚未完成")
    evaluation = Evaluation(
        campaign_id=problem.campaign_id,
        problem_id=problem.id,
        unit_id=problem.unit_id,
        method=clean["method"],
        due_on=supervision.as_date(clean["due_on"]),
        requested_by=user.id,
        requested_at=clock.now(),
    )
    session.add(evaluation)
    session.flush()
    office = unit_by_code(session, LEADING_OFFICE_CODE)
    case = cases.start_case(
        session,
        host,
        PROCESS_KEY,
        data={"evaluation_id": evaluation.id, "due_on": evaluation.due_on.isoformat()},
        context=CaseContext(
            owning_unit_id=office.id,
            responsible_unit_id=problem.unit_id,
            subject_type="evaluation",
            subject_id=evaluation.id,
        ),
        actor=actor_for(user),
    )
    evaluation.case_id = case.id
    notifications.for_new_work(session, case.id)
    audit.record(session, "evaluation.request", actor=user, target=f"problem:{problem.number}")
    return evaluation


def _clean(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    return choices.clean_form(session, REQUEST_FORM, data)


def follow_case(_session: Session, evaluation: Evaluation, case: Case) -> None:
    evaluation.case_id = case.id
    if case.status == CaseStatus.COMPLETED.value:
        evaluation.status = "done"


def take_up(evaluation: Evaluation, form_key: str, data: Mapping[str, Any]) -> None:
    if form_key == "evaluation_visit":
        evaluation.visited_on = supervision.as_date(data["visited_on"])
        evaluation.money = data["money"]
        evaluation.satisfaction = data["satisfaction"]
        evaluation.note = data["note"]


def check_before(
    _session: Session, _user: User, evaluation: Evaluation, item: WorkItem, data: Mapping[str, Any]
) -> None:
    visited = str(data.get("visited_on") or "")
    asked = evaluation.requested_at.astimezone(clock.LOCAL_TZ).date().isoformat()
    if item.form_key == "evaluation_visit" and visited and visited < asked:
        raise InvalidInput(fields={"visited_on": f"回访日期：不能早于安排回访的日期（{asked}）"})


def may_see(_session: Session, user: User, evaluation: Evaluation) -> bool:
    if visibility.sees_whole_district(user):
        return True
    return any(r.unit_id == evaluation.unit_id and r.role in UNIT_ROLES for r in user.roles)


def _late() -> ColumnElement[bool]:
    return exists(
        select(WorkItem.id).where(WorkItem.case_id == Evaluation.case_id, workitems.overdue())
    )


def listed(
    session: Session,
    user: User,
    *,
    status: str = "",
    satisfaction: str = "",
    money: str = "",
    campaign_id: int | None = None,
) -> list[Evaluation]:
    """The evaluations the person may see, newest first: the figures' drill-down."""
    query = listed_query(
        session,
        user,
        status=status,
        satisfaction=satisfaction,
        money=money,
        campaign_id=campaign_id,
    )
    return paging.first_rows(session, query)[0]


def listed_query(
    session: Session,
    user: User,
    *,
    status: str = "",
    satisfaction: str = "",
    money: str = "",
    campaign_id: int | None = None,
) -> Select[tuple[Evaluation]]:
    """The ordered query behind `listed`, for a page at a time (the API)."""
    query = (
        select(Evaluation)
        .where(Evaluation.campaign_id == shown_id(session, campaign_id))
        .order_by(Evaluation.requested_at.desc(), Evaluation.id.desc())
        .options(selectinload(Evaluation.problem), selectinload(Evaluation.unit))
    )
    if status == "overdue":
        query = query.where(_late())
    elif status in ("visiting", "done"):
        query = query.where(Evaluation.status == status)
    if satisfaction in SATISFACTION:
        query = query.where(Evaluation.satisfaction == satisfaction)
    if money in MONEY:
        query = query.where(Evaluation.money == money)
    if not visibility.sees_whole_district(user):
        units = [r.unit_id for r in user.roles if r.role in UNIT_ROLES]
        query = query.where(Evaluation.unit_id.in_(units))
    return query


def closed_without_evaluation(
    session: Session, limit: int = 200, *, campaign_id: int | None = None
) -> list[Problem]:
    """The first `limit` of `closed_without_evaluation_query`."""
    query = closed_without_evaluation_query(session, campaign_id=campaign_id)
    return list(session.scalars(query.limit(limit)))


def closed_without_evaluation_query(
    session: Session, *, campaign_id: int | None = None
) -> Select[tuple[Problem]]:
    """Closed problems never evaluated, the latest closed first: what the office may send
    for a visit next. Read from the newest end of an index of the closed (migration 0043: a
    closed problem always has its closing time, campaign.problems.follow_case), with the
    unit and programme the list shows."""
    evaluated = select(Evaluation.id).where(Evaluation.problem_id == Problem.id)
    return (
        select(Problem)
        .where(
            Problem.campaign_id == shown_id(session, campaign_id),
            Problem.status == ProblemStatus.CLOSED.value,
            ~exists(evaluated),
        )
        .order_by(Problem.closed_at.desc(), Problem.id.desc())
        .options(selectinload(Problem.unit), selectinload(Problem.programme))
    )


@dataclass(frozen=True)
class EvaluationFigures:
    visiting: int
    overdue: int
    done: int
    satisfaction: dict[str, int]  # of those done, by SATISFACTION key
    money: dict[str, int]  # of those done, by MONEY key


def figures(session: Session, campaign_id: int | None = None) -> EvaluationFigures:
    campaign_id = shown_id(session, campaign_id)
    rows = session.execute(
        select(Evaluation.status, Evaluation.satisfaction, Evaluation.money, func.count())
        .where(Evaluation.campaign_id == campaign_id)
        .group_by(Evaluation.status, Evaluation.satisfaction, Evaluation.money)
    ).all()
    overdue = session.scalar(
        select(func.count(Evaluation.id)).where(Evaluation.campaign_id == campaign_id, _late())
    )
    satisfaction = dict.fromkeys(SATISFACTION, 0)
    money = dict.fromkeys(MONEY, 0)
    counts = {"visiting": 0, "done": 0}
    for status, satisfied, arrived, n in rows:
        counts[status] = counts.get(status, 0) + n
        if status == "done":
            satisfaction[satisfied] = satisfaction.get(satisfied, 0) + n
            money[arrived] = money.get(arrived, 0) + n
    return EvaluationFigures(
        counts["visiting"], int(overdue or 0), counts["done"], satisfaction, money
    )
