"""明察暗访: the leading group office records an unannounced visit (date, places, team) and
then, one by one in the case's 登记发现的问题 step (workflows/inspection.bpmn), each problem it
found: every one is registered through the normal registration (`problems.register`, source
明察暗访, discovered on the day of the visit) in the ledger of the unit where it was found, and
goes through its own lifecycle from that unit's 审核. A 小结 ends the record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from campaign import audit, choices, notifications, numbering, problems, supervision, visibility
from campaign.actors import actor_for
from campaign.current import active_campaign, shown_id
from campaign.models import Inspection, InspectionFinding, User
from campaign.org import unit_by_code
from campaign.reference_data import LEADING_OFFICE_CODE
from core import clock
from core.errors import InvalidInput, NotAllowed
from engine import cases
from engine.host import CaseContext, EngineHost
from engine.models import Case, CaseStatus

PROCESS_KEY = "inspection"
START_FORM = "inspection_start"
SOURCE = "unannounced_visit"  # 明察暗访, as the register form names it

# The finding form's fields that are the register form's own, passed on as typed.
_REGISTERED = ("village", "programme", "focus_item", "stat_category", "households", "persons")


def records_visits(user: User) -> bool:
    """Visits are recorded by the leading group office (the one that issues 督办单)."""
    return supervision.issues_orders(user)


def start(session: Session, host: EngineHost, user: User, data: Mapping[str, Any]) -> Inspection:
    if not records_visits(user):
        raise NotAllowed("只有领导小组办公室可以登记明察暗访")
    clean = _clean(session, data)
    campaign = active_campaign(session)
    visited_on = supervision.as_date(clean["visited_on"])
    if visited_on < campaign.starts_on:
        # The form refuses a day after today; a visit is the campaign's, not before it.
        began = campaign.starts_on.isoformat()
        raise InvalidInput(fields={"visited_on": f"暗访日期：不能早于活动开始日期（{began}）"})
    year = clock.local_now().year
    visit = Inspection(
        campaign_id=campaign.id,
        number=f"AF-{year}-{numbering.next_value(session, f'inspection:{year}'):03d}",
        visited_on=visited_on,
        places=clean["places"],
        team=clean["team"],
        recorded_by=user.id,
        recorded_at=clock.now(),
    )
    session.add(visit)
    session.flush()
    office = unit_by_code(session, LEADING_OFFICE_CODE)
    case = cases.start_case(
        session,
        host,
        PROCESS_KEY,
        data={"inspection_id": visit.id, "inspection_number": visit.number},
        context=CaseContext(
            owning_unit_id=office.id, subject_type="inspection", subject_id=visit.id
        ),
        actor=actor_for(user),
    )
    visit.case_id = case.id
    notifications.for_new_work(session, case.id)
    audit.record(session, "inspection.record", actor=user, target=f"inspection:{visit.number}")
    return visit


def _clean(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    return choices.clean_form(session, START_FORM, data)


def follow_case(_session: Session, visit: Inspection, case: Case) -> None:
    visit.case_id = case.id
    if case.status == CaseStatus.COMPLETED.value:
        visit.status = "done"


def take_up(
    session: Session,
    host: EngineHost,
    user: User,
    visit: Inspection,
    form_key: str,
    data: Mapping[str, Any],
) -> None:
    if form_key == "inspection_finding" and data.get("finding_decision") == "register":
        problem = problems.register(session, host, user, data["unit"], _entry(visit, data))
        session.add(InspectionFinding(inspection=visit, problem_id=problem.id))
        session.flush()
    elif form_key == "inspection_summary":
        visit.summary = data["summary"]


def _entry(visit: Inspection, data: Mapping[str, Any]) -> dict[str, Any]:
    """The finding as the register form takes it: source 明察暗访, found on the day of the
    visit, the description naming the visit."""
    amount = data.get("amount")
    entry: dict[str, Any] = {name: data.get(name) for name in _REGISTERED}
    entry.update(
        source=SOURCE,
        village=data.get("village") or "",
        description=f"明察暗访 {visit.number}：{data['description']}",
        amount=f"{amount // 100}.{amount % 100:02d}" if amount else "",
        involved_names=data.get("involved_names") or "",
        discovered_on=visit.visited_on.isoformat(),
    )
    return entry


def may_see(_session: Session, user: User, _visit: Inspection) -> bool:
    """A visit is the office's (the units see the ledger entries it registered)."""
    return visibility.sees_whole_district(user)


def listed_query(session: Session, campaign_id: int | None = None) -> Select[tuple[Inspection]]:
    """Every visit of the campaign, newest first, with its findings (a page at a time on the
    API)."""
    return (
        select(Inspection)
        .where(Inspection.campaign_id == shown_id(session, campaign_id))
        .order_by(Inspection.visited_on.desc(), Inspection.id.desc())
        .options(selectinload(Inspection.findings))
    )


def listed(
    session: Session, campaign_id: int | None = None, limit: int = 500
) -> list[tuple[Inspection, int]]:
    """The newest `limit` visits of the campaign, with the number of problems each found."""
    found = (
        select(InspectionFinding.inspection_id, func.count().label("n"))
        .group_by(InspectionFinding.inspection_id)
        .subquery()
    )
    rows = session.execute(
        select(Inspection, func.coalesce(found.c.n, 0))
        .outerjoin(found, found.c.inspection_id == Inspection.id)
        .where(Inspection.campaign_id == shown_id(session, campaign_id))
        .order_by(Inspection.visited_on.desc(), Inspection.id.desc())
        .limit(limit)
    )
    return [(visit, int(count)) for visit, count in rows.tuples()]
