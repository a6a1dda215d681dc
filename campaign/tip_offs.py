"""A report from the public as the record its case serves (campaign.records): how its status
follows the case, what each step writes into it (受理, 分办, 核实, 反馈), the ledger entry a
report found true becomes, who may see it, and the caller's phone shown in full only on
request."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from campaign import audit, problems, visibility
from campaign.current import shown_id
from campaign.masking import mask_text
from campaign.models import Problem, TipOff, User
from campaign.models.accounts import UNIT_ROLES
from campaign.models.tip_offs import TipOffStatus
from campaign.org import unit_by_code
from core import clock, paging
from core.errors import InvalidInput, NotAllowed
from engine.host import EngineHost
from engine.models import Case, CaseStatus, WorkItem, WorkItemState

# The step open in the case, and what the report's status is while it is.
_STATUS_AT_STEP = {
    "tip_off_accept": TipOffStatus.RECEIVED,
    "tip_off_assign": TipOffStatus.ACCEPTED,
    "tip_off_verify": TipOffStatus.VERIFYING,
    "tip_off_feedback": TipOffStatus.VERIFIED,
}


def follow_case(session: Session, tip_off: TipOff, case: Case) -> None:
    tip_off.case_id = case.id
    if case.status == CaseStatus.COMPLETED.value:
        rejected = bool(tip_off.reject_reason) and not tip_off.feedback
        tip_off.status = (TipOffStatus.REJECTED if rejected else TipOffStatus.ANSWERED).value
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
            tip_off.status = status.value


def take_up(
    session: Session,
    host: EngineHost,
    user: User,
    tip_off: TipOff,
    form_key: str,
    data: Mapping[str, Any],
) -> None:
    """What a completed step decided, into the report."""
    if form_key == "tip_off_accept" and data.get("accept_decision") == "reject":
        tip_off.reject_reason = data["reject_reason"]
        tip_off.answered_at = clock.now()
        # The case ended before this (records.follow ran): the reason decides the status.
        tip_off.status = TipOffStatus.REJECTED.value
    elif form_key == "tip_off_assign":
        tip_off.responsible_unit_id = unit_by_code(session, data["responsible_unit"]).id
    elif form_key == "tip_off_verify":
        tip_off.verdict = data["verdict"]
        tip_off.findings = data["findings"]
        if data["verdict"] == "true":
            tip_off.problem_id = _registered(session, host, user, tip_off, data).id
    elif form_key == "tip_off_feedback":
        tip_off.feedback = data["feedback"]
        tip_off.answered_at = clock.now()


def _registered(
    session: Session, host: EngineHost, user: User, tip_off: TipOff, data: Mapping[str, Any]
) -> Problem:
    """A report found true is a ledger entry of the unit that verified it, registered as any
    other (campaign.registration), with source 群众举报; the report links to it."""
    if tip_off.responsible_unit is None:  # pragma: no cover - 分办 names it before 核实
        raise InvalidInput("该举报尚未分办，无法登记台账")
    amount = data.get("amount")
    entry = {
        "source": "public_report",
        "village": data.get("village") or "",
        "programme": data.get("programme"),
        "focus_item": data.get("focus_item"),
        "stat_category": data.get("stat_category"),
        "description": f"群众举报 {tip_off.number} 经核实属实：{data['findings']}",
        "amount": f"{amount // 100}.{amount % 100:02d}" if amount else "",
        "households": data.get("households"),
        "persons": data.get("persons"),
        "involved_names": data.get("involved_names") or "",
        "discovered_on": received_on(tip_off).isoformat(),
    }
    return problems.register(
        session, host, user, tip_off.responsible_unit.code, entry, source="tip_off"
    )


def received_on(tip_off: TipOff) -> date:
    return tip_off.received_at.astimezone(clock.LOCAL_TZ).date()


def check_before(
    _session: Session, _user: User, _tip_off: TipOff, item: WorkItem, data: Mapping[str, Any]
) -> None:
    if item.form_key != "tip_off_assign":
        return
    verify, answer = str(data.get("verify_due") or ""), str(data.get("feedback_due") or "")
    if verify and answer and answer < verify:
        raise InvalidInput(fields={"feedback_due": "答复期限：不能早于核实时限"})


def may_see(_session: Session, user: User, tip_off: TipOff) -> bool:
    """The leading group office sees every report; a unit the reports it was sent to."""
    if visibility.sees_whole_district(user):
        return True
    unit_id = tip_off.responsible_unit_id
    return unit_id is not None and any(
        r.unit_id == unit_id and r.role in UNIT_ROLES for r in user.roles
    )


def masked_phone(tip_off: TipOff) -> str:
    return mask_text(tip_off.caller_phone) if tip_off.caller_phone else ""


def reveal_phone(session: Session, user: User, tip_off: TipOff) -> str:
    """The caller's phone in full, to call back: recorded in the audit log each time."""
    if not may_see(session, user, tip_off):
        raise NotAllowed("您不能查看该举报人的联系电话")
    audit.record(session, "tip_off.reveal_phone", actor=user, target=f"tip_off:{tip_off.number}")
    return tip_off.caller_phone


def listed(
    session: Session, user: User, status: str = "", *, campaign_id: int | None = None
) -> list[TipOff]:
    """The first rows of `listed_query` (core.paging.first_rows)."""
    query = listed_query(session, user, status, campaign_id=campaign_id)
    return paging.first_rows(session, query)[0]


def listed_query(
    session: Session, user: User, status: str = "", *, campaign_id: int | None = None
) -> Select[tuple[TipOff]]:
    """The reports the person may see, newest first, of the campaign shown, with what their
    list shows (a page at a time on the web)."""
    query = (
        select(TipOff)
        .where(TipOff.campaign_id == shown_id(session, campaign_id))
        .order_by(TipOff.received_at.desc(), TipOff.id.desc())
        .options(
            selectinload(TipOff.programme),
            selectinload(TipOff.responsible_unit),
            selectinload(TipOff.township),
            selectinload(TipOff.village),
        )
    )
    if status:
        query = query.where(TipOff.status == status)
    if not visibility.sees_whole_district(user):
        units = [r.unit_id for r in user.roles if r.role in UNIT_ROLES]
        query = query.where(TipOff.responsible_unit_id.in_(units))
    return query


def prefill(tip_off: TipOff, form_key: str) -> dict[str, Any]:
    """The verifying unit starts from the programme and village the reporter named."""
    if form_key != "tip_off_verify":
        return {}
    return {
        "programme": tip_off.programme.code,
        "village": tip_off.village.code if tip_off.village else "",
    }
