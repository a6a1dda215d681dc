"""Rules about who may complete a step of a problem's lifecycle, and when, that a form alone
cannot express: a second person approves what one person proposed (公示, 作废), an entry
with clues at the commission cannot be voided, and a problem of group (三) 违法违规 closes
only after a clue transfer or an approved reason not to transfer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from campaign import clues
from campaign.models import Clue, Problem, User
from core.errors import InvalidInput, NotAllowed
from engine import definitions
from engine.models import WorkItem, WorkItemState

ILLEGAL_GROUP = 3  # (三) 违法违规
CLOSING_FORMS = ("signoff", "confirm_close")
VOID_PROPOSALS = {"review_registration": "review_decision", "rectify": "action"}
NO_VOID_WITH_CLUE = "已向纪检监察机关移送问题线索的问题不能作废，由纪检监察机关依规处置"
NO_TRANSFER_REASON = "整改单位未说明不移送问题线索的理由：请退回整改补充说明，或移送问题线索"
NO_TRANSFER_APPROVAL = "违法违规类问题须移送问题线索，或同意整改单位说明的不移送理由"


def is_illegal(problem: Problem) -> bool:
    """Group (三) 违法违规 of the catalogue: 优亲厚友, 虚报冒领, 贪污侵占, 私自保管一卡通."""
    return problem.focus_item.group_no == ILLEGAL_GROUP


def has_clue(session: Session, problem: Problem) -> bool:
    return bool(session.scalar(select(exists().where(Clue.problem_id == problem.id))))


def check_before(
    session: Session, user: User, problem: Problem, item: WorkItem, data: Mapping[str, Any]
) -> None:
    """Refuses the completion of item by user with data, or lets it go."""
    form = item.form_key
    decision = VOID_PROPOSALS.get(form or "")
    if decision and data.get(decision) == "void":
        _may_propose_void(session, problem, item, decision, data)
    if form == "approve_void":
        if problem.void_proposed_by == user.id:
            raise NotAllowed("作废须由提出人以外的另一人审批")
        if data.get("void_decision") == "approve" and has_clue(session, problem):
            raise InvalidInput(NO_VOID_WITH_CLUE, {"void_decision": NO_VOID_WITH_CLUE})
    if form == "approve_disclosure" and _drafter(session, item) == user.id:
        raise NotAllowed("公示内容须由拟稿人以外的另一人审批")
    if form == "confirm_close":
        clues.require_outcomes(session, problem)
    # Only these steps close a problem; the others need neither its group nor its clues read.
    if form in CLOSING_FORMS and is_illegal(problem) and not has_clue(session, problem):
        _transfer_or_reason(problem, form, data)


def _may_propose_void(
    session: Session, problem: Problem, item: WorkItem, decision: str, data: Mapping[str, Any]
) -> None:
    if has_clue(session, problem) or data.get("suspected_violation"):
        raise InvalidInput(NO_VOID_WITH_CLUE, {decision: NO_VOID_WITH_CLUE})
    # A case started on a version of the lifecycle without 作废审批 would take the default
    # path (to 销号审核 or 补正登记) with a void proposed.
    if not definitions.has_step(item.case.definition, "approve_void"):
        message = (
            "此问题的流程版本较早，没有作废审批环节：请系统管理员将其迁移到最新版本后再提请作废"
        )
        raise InvalidInput(message, {decision: message})


def _transfer_or_reason(problem: Problem, form: str | None, data: Mapping[str, Any]) -> None:
    """A problem of group (三) with no clue: at sign-off the office either transfers one or
    agrees with the reason the responsible unit gave (at rectification) for not
    transferring; it cannot close otherwise."""
    signed_off = form == "signoff" and data.get("signoff_decision") == "approve"
    if signed_off and not data.get("suspected_violation"):
        if not data.get("no_transfer_approved"):
            raise InvalidInput(NO_TRANSFER_APPROVAL, {"no_transfer_approved": NO_TRANSFER_APPROVAL})
        if not problem.no_transfer_reason.strip():
            raise InvalidInput(NO_TRANSFER_REASON, {"no_transfer_approved": NO_TRANSFER_REASON})
    if form == "confirm_close" and problem.no_transfer_approved_by is None:
        raise InvalidInput(NO_TRANSFER_APPROVAL)


def _drafter(session: Session, item: WorkItem) -> int | None:
    return session.scalar(
        select(WorkItem.completed_by)
        .where(
            WorkItem.case_id == item.case_id,
            WorkItem.bpmn_id == "draft_disclosure",
            WorkItem.state == WorkItemState.COMPLETED.value,
        )
        .order_by(WorkItem.id.desc())
        .limit(1)
    )
