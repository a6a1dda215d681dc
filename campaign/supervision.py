"""专项督办: the leading group office issues an order (督办单) about an item from a leader's
instruction or a media report to one or more units with a deadline; each unit's part is a case
of workflows/supervision.bpmn (办理并反馈 by the unit, 审核办结 by the office, which closes it or
returns it with a reason and a new deadline). A part is overdue by the product's one rule
(`engine.workitems.overdue`): its feedback task is still open after the deadline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Exists, Select, and_, exists, select
from sqlalchemy.orm import Session

from campaign import audit, choices, notifications, numbering, visibility
from campaign.actors import actor_for
from campaign.current import active_campaign, shown_id
from campaign.models import Supervision, SupervisionPart, User
from campaign.models.accounts import UNIT_ROLES, Role
from campaign.models.supervision import SUPERVISION_SOURCES
from campaign.org import unit_by_code
from campaign.reference_data import LEADING_OFFICE_CODE
from core import clock, paging
from core.errors import NotAllowed
from engine import cases, workitems
from engine.host import CaseContext, EngineHost
from engine.models import Case, CaseStatus, WorkItem, WorkItemState

PROCESS_KEY = "supervision"
ORDER_FORM = "supervision_order"

# What the figures and the list count a part as: its case's step, or 逾期 by the one rule.
STATES = {
    "feedback": "待反馈",
    "overdue": "逾期未反馈",
    "review": "已反馈，待审核",
    "closed": "已办结",
}

_STATUS_AT_STEP = {"supervision_feedback": "feedback", "supervision_close": "review"}


def issues_orders(user: User) -> bool:
    """Orders are issued by the leading group office."""
    return any(
        r.role == Role.SUPERVISOR.value and r.unit.code == LEADING_OFFICE_CODE for r in user.roles
    )


def issue(session: Session, host: EngineHost, user: User, data: Mapping[str, Any]) -> Supervision:
    """An order and one case per unit it goes to; refused field by field when the form is
    wrong (no unit, no deadline, a deadline in the past, a unit that keeps no ledger)."""
    if not issues_orders(user):
        raise NotAllowed("只有领导小组办公室可以下发督办单")
    clean = _clean(session, data)
    units = list(dict.fromkeys(clean["units"]))  # a unit ticked twice gets one part
    deadline = as_date(clean["deadline"])
    year = clock.local_now().year
    order = Supervision(
        campaign_id=active_campaign(session).id,
        number=f"DB-{year}-{numbering.next_value(session, f'supervision:{year}'):04d}",
        source=clean["source"],
        source_ref=clean.get("source_ref") or "",
        summary=clean["summary"],
        deadline=deadline,
        issued_by=user.id,
        issued_at=clock.now(),
    )
    session.add(order)
    session.flush()
    office = unit_by_code(session, LEADING_OFFICE_CODE)
    started = []
    for code in units:
        unit = unit_by_code(session, code)
        part = SupervisionPart(supervision=order, unit_id=unit.id, deadline=deadline)
        session.add(part)
        session.flush()
        case = cases.start_case(
            session,
            host,
            PROCESS_KEY,
            data={
                "supervision_part_id": part.id,
                "supervision_number": order.number,
                "deadline": deadline.isoformat(),
            },
            context=CaseContext(
                owning_unit_id=office.id,
                responsible_unit_id=unit.id,
                subject_type="supervision_part",
                subject_id=part.id,
            ),
            actor=actor_for(user),
        )
        part.case_id = case.id
        started.append(case.id)
    notifications.for_new_work(session, *started)
    audit.record(
        session,
        "supervision.issue",
        actor=user,
        target=f"supervision:{order.number}",
        units=units,
        deadline=deadline.isoformat(),
    )
    return order


def _clean(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    return choices.clean_form(session, ORDER_FORM, data)


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def follow_case(session: Session, part: SupervisionPart, case: Case) -> None:
    part.case_id = case.id
    if case.status == CaseStatus.COMPLETED.value:
        part.status = "closed"
        return
    steps = set(
        session.scalars(
            select(WorkItem.bpmn_id).where(
                WorkItem.case_id == case.id, WorkItem.state == WorkItemState.OPEN.value
            )
        )
    )
    for step, status in _STATUS_AT_STEP.items():
        if step in steps:
            part.status = status


def take_up(
    _session: Session, user: User, part: SupervisionPart, form_key: str, data: Mapping[str, Any]
) -> None:
    """What a completed step decided, into the unit's part."""
    if form_key == "supervision_feedback":
        part.feedback = data["feedback"]
        part.fed_back_at = clock.now()
    elif form_key == "supervision_close":
        if data.get("office_decision") == "return":
            part.returns += 1
            part.return_reason = data["return_reason"]
            part.deadline = as_date(data["deadline"])
        else:
            part.closing_note = data.get("closing_note") or ""
            part.closed_at = clock.now()


def may_see(_session: Session, user: User, part: SupervisionPart) -> bool:
    """The leading group office sees every order; a unit its own part of one."""
    if visibility.sees_whole_district(user):
        return True
    return any(r.unit_id == part.unit_id and r.role in UNIT_ROLES for r in user.roles)


def _late() -> Exists:
    """The part's case has a task open after its due time (only 办理并反馈 carries one)."""
    return exists(
        select(WorkItem.id).where(WorkItem.case_id == SupervisionPart.case_id, workitems.overdue())
    )


def _state_filter(state: str) -> ColumnElement[bool]:
    late = _late()
    if state == "overdue":
        return late
    if state == "feedback":
        return and_(SupervisionPart.status == "feedback", ~late)
    return SupervisionPart.status == state


def parts(
    session: Session,
    user: User,
    *,
    state: str = "",
    source: str = "",
    unit_id: int | None = None,
    campaign_id: int | None = None,
) -> list[SupervisionPart]:
    """The parts the person may see, newest order first: a drill-down of the figures."""
    query = parts_query(
        session, user, state=state, source=source, unit_id=unit_id, campaign_id=campaign_id
    )
    return paging.first_rows(session, query)[0]


def parts_query(
    session: Session,
    user: User,
    *,
    state: str = "",
    source: str = "",
    unit_id: int | None = None,
    campaign_id: int | None = None,
) -> Select[tuple[SupervisionPart]]:
    """The ordered query behind `parts`, for a page at a time (the API)."""
    query = (
        select(SupervisionPart)
        .join(Supervision)
        .where(Supervision.campaign_id == shown_id(session, campaign_id))
        .order_by(Supervision.issued_at.desc(), Supervision.id.desc(), SupervisionPart.id)
    )
    if state in STATES:
        query = query.where(_state_filter(state))
    if source in SUPERVISION_SOURCES:
        query = query.where(Supervision.source == source)
    if unit_id is not None:
        query = query.where(SupervisionPart.unit_id == unit_id)
    if not visibility.sees_whole_district(user):
        units = [r.unit_id for r in user.roles if r.role in UNIT_ROLES]
        query = query.where(SupervisionPart.unit_id.in_(units))
    return query


def overdue_part_ids(session: Session, part_list: list[SupervisionPart]) -> set[int]:
    """Which of these parts are overdue (the one rule), for the list's 逾期 mark."""
    case_ids = {p.case_id for p in part_list if p.case_id is not None}
    if not case_ids:
        return set()
    late = set(
        session.scalars(
            select(WorkItem.case_id).where(WorkItem.case_id.in_(case_ids), workitems.overdue())
        )
    )
    return {p.id for p in part_list if p.case_id in late}


@dataclass(frozen=True)
class SourceFigures:
    source: str
    label: str
    counts: dict[str, int]  # by STATES key, each part under one of them

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def figures(session: Session, campaign_id: int | None = None) -> list[SourceFigures]:
    """Parts by source and state, for the 督办 page: a part whose feedback is overdue counts
    under 逾期 only; each figure links to `parts(state=, source=)`."""
    late = _late().label("late")
    rows = session.execute(
        select(Supervision.source, SupervisionPart.status, late)
        .join(Supervision)
        .where(Supervision.campaign_id == shown_id(session, campaign_id))
    )
    counted = {s: dict.fromkeys(STATES, 0) for s in SUPERVISION_SOURCES}
    for source, status, is_late in rows:
        counts = counted.setdefault(source, dict.fromkeys(STATES, 0))
        key = "overdue" if is_late else status
        if key in counts:
            counts[key] += 1
    return [
        SourceFigures(source, SUPERVISION_SOURCES.get(source, source), counts)
        for source, counts in counted.items()
    ]
