"""问责: the leading group office proposes a decision about a unit, or a person of it, that
passed the buck (推诿扯皮) or did not act (不作为): the measure, the conduct, the grounds, and
the unit's overdue tasks and returned reports it rests on, picked from what is overdue or was
returned now (`choices`: `overdue_items`, `returned_reports` of the chosen unit). The case
(workflows/accountability.bpmn) goes to the office's head (本单位负责人 of the office) to decide,
and an approved decision to the unit's head to sign for it with the measures taken."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from campaign import audit, choices, notifications, numbering, supervision, visibility
from campaign.actors import actor_for
from campaign.current import active_campaign, shown_id
from campaign.models import Accountability, AccountabilityGround, User
from campaign.models.accountability import ACCOUNTABILITY_STATUS_LABELS
from campaign.models.accounts import UNIT_ROLES
from campaign.org import unit_by_code
from campaign.reference_data import LEADING_OFFICE_CODE
from core import clock, paging
from core.errors import InvalidInput, NotAllowed
from engine import cases
from engine.host import CaseContext, EngineHost
from engine.models import Case, CaseStatus, WorkItem

PROCESS_KEY = "accountability"
PROPOSE_FORM = "accountability_propose"
NO_GROUNDS = "请至少选择一项逾期事项或被退回的报告作为问责依据"


def proposes(user: User) -> bool:
    return supervision.issues_orders(user)


def propose(
    session: Session, host: EngineHost, user: User, data: Mapping[str, Any]
) -> Accountability:
    """A proposal and its case; refused field by field (no grounds picked, a task or report
    not of the chosen unit, a person's post without the person)."""
    if not proposes(user):
        raise NotAllowed("只有领导小组办公室可以提出问责建议")
    clean = clean_proposal(session, data)
    unit = unit_by_code(session, clean["unit"])
    year = clock.local_now().year
    decision = Accountability(
        campaign_id=active_campaign(session).id,
        number=f"WZ-{year}-{numbering.next_value(session, f'accountability:{year}'):03d}",
        unit_id=unit.id,
        person_name=clean.get("person_name") or "",
        person_post=clean.get("person_post") or "",
        measure=clean["measure"],
        conduct=clean["conduct"],
        grounds=clean["grounds"],
        proposed_by=user.id,
        proposed_at=clock.now(),
    )
    session.add(decision)
    labels = _labels(session, clean)
    for item_id in dict.fromkeys(clean.get("overdue_items") or []):
        decision.grounds_items.append(
            AccountabilityGround(work_item_id=int(item_id), described=labels[item_id][:300])
        )
    for report_id in dict.fromkeys(clean.get("returned_reports") or []):
        decision.grounds_items.append(
            AccountabilityGround(obligation_id=int(report_id), described=labels[report_id][:300])
        )
    session.flush()
    office = unit_by_code(session, LEADING_OFFICE_CODE)
    case = cases.start_case(
        session,
        host,
        PROCESS_KEY,
        data={"accountability_id": decision.id, "accountability_number": decision.number},
        context=CaseContext(
            owning_unit_id=office.id,
            responsible_unit_id=unit.id,
            subject_type="accountability",
            subject_id=decision.id,
        ),
        actor=actor_for(user),
    )
    decision.case_id = case.id
    notifications.for_new_work(session, case.id)
    audit.record(
        session, "accountability.propose", actor=user, target=f"accountability:{decision.number}"
    )
    return decision


def clean_proposal(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    clean = choices.clean_form(session, PROPOSE_FORM, data)
    if not clean.get("overdue_items") and not clean.get("returned_reports"):
        raise InvalidInput(fields={"overdue_items": NO_GROUNDS})
    if clean.get("person_post") and not clean.get("person_name"):
        raise InvalidInput(fields={"person_name": "填写了职务时须填写被问责人姓名"})
    return clean


def _labels(session: Session, clean: Mapping[str, Any]) -> dict[str, str]:
    found = dict(choices.options(session, "overdue_items", CaseContext(), clean))
    found.update(choices.options(session, "returned_reports", CaseContext(), clean))
    return found


def follow_case(session: Session, decision: Accountability, case: Case) -> None:
    decision.case_id = case.id
    if case.status == CaseStatus.COMPLETED.value:
        decision.status = "rejected" if decision.status == "rejected" else "done"
        return
    open_steps = set(
        session.scalars(
            select(WorkItem.bpmn_id).where(WorkItem.case_id == case.id, WorkItem.state == "open")
        )
    )
    if "accountability_acknowledge" in open_steps:
        decision.status = "decided"


def take_up(
    _session: Session, decision: Accountability, form_key: str, data: Mapping[str, Any]
) -> None:
    if form_key == "accountability_approve":
        decision.decided_at = clock.now()
        if data.get("approve_decision") == "reject":
            decision.status = "rejected"  # the case ended before this: the reason decides
            decision.opinion = data["reject_reason"]
        else:
            decision.opinion = data.get("approve_opinion") or ""
    elif form_key == "accountability_acknowledge":
        decision.unit_response = data["unit_response"]


def may_see(_session: Session, user: User, decision: Accountability) -> bool:
    """The office sees every decision; a unit those about it once decided."""
    if visibility.sees_whole_district(user):
        return True
    return decision.status in ("decided", "done") and any(
        r.unit_id == decision.unit_id and r.role in UNIT_ROLES for r in user.roles
    )


def listed(
    session: Session, user: User, status: str = "", *, campaign_id: int | None = None
) -> list[Accountability]:
    query = listed_query(session, user, status, campaign_id=campaign_id)
    return paging.first_rows(session, query)[0]


def listed_query(
    session: Session, user: User, status: str = "", *, campaign_id: int | None = None
) -> Select[tuple[Accountability]]:
    """The decisions the person may see, newest first (a page at a time on the API)."""
    query = (
        select(Accountability)
        .where(Accountability.campaign_id == shown_id(session, campaign_id))
        .order_by(Accountability.proposed_at.desc(), Accountability.id.desc())
        .options(selectinload(Accountability.grounds_items))
    )
    if status in ACCOUNTABILITY_STATUS_LABELS:
        query = query.where(Accountability.status == status)
    if not visibility.sees_whole_district(user):
        units = [r.unit_id for r in user.roles if r.role in UNIT_ROLES]
        query = query.where(
            Accountability.unit_id.in_(units), Accountability.status.in_(("decided", "done"))
        )
    return query


def figures(session: Session, campaign_id: int | None = None) -> dict[str, int]:
    """Decisions by status, for the 督办 page; each links to `listed(status=)`."""
    counted = dict(
        session.execute(
            select(Accountability.status, func.count())
            .where(Accountability.campaign_id == shown_id(session, campaign_id))
            .group_by(Accountability.status)
        )
        .tuples()
        .all()
    )
    return {key: int(counted.get(key, 0)) for key in ACCOUNTABILITY_STATUS_LABELS}
