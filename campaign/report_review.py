"""Reading a filed report as it was filed, and the office's 通过 or 退回.

What was filed is what the unit's officer sent in the report's form the last time (the case's
history keeps the form values as completed, attachments by id), approved by the unit's
head. The office reads it on its 审阅 step (the reporting diagrams' office_review task, in the
lane 领导小组办公室): 通过 ends the case, 退回 with a reason sends the form back to the unit's
officer, and the report counts as 退回 until the unit files it again
(campaign.obligations.apply keeps the record in step)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import files, report_checks, report_overview, tasks
from campaign.models import Attachment, Obligation, User
from campaign.visibility import sees_whole_district
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.numbers import row_id
from engine.host import EngineHost
from engine.models import CaseEvent, WorkItem, WorkItemState
from forms import registry

FILL_STEP = "fill_report"
UNIT_REVIEW_STEP = "review_report"  # the unit's head: 审核上报
REVIEW_STEP = "office_review"
REASON_LIMIT = 500
NOT_FOUND = "报送记录不存在，或您无权查看"


@dataclass(frozen=True)
class FiledValue:
    label: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class ReturnRecord:
    at: datetime
    by: str
    reason: str


@dataclass(frozen=True)
class PendingReport:
    """What the unit's officer sent for its head's 审核上报: not filed yet, and what the head
    decides on."""

    values: list[FiledValue]
    filled_by: str
    filled_at: datetime
    warnings: list[str]


@dataclass(frozen=True)
class FiledReport:
    obligation: Obligation
    report_name: str
    state: str
    form_title: str
    values: list[FiledValue]  # empty until the unit has filed
    filled_by: str
    filled_at: datetime | None
    returns: list[ReturnRecord]
    warnings: list[str]
    awaiting_office: bool  # the office's 审阅 step is open: it may pass or return the report
    my_step: WorkItem | None  # an open step of the report the person may work (填报, 审核)
    pending: PendingReport | None  # sent by the officer, awaiting the unit head's 审核上报

    @property
    def state_label(self) -> str:
        return report_overview.STATES[self.state]

    @property
    def state_tag(self) -> str:
        return report_overview.STATE_TAGS[self.state]


def visible_report(session: Session, user: User, obligation_id: int) -> Obligation:
    obligation = session.scalar(
        select(Obligation).where(Obligation.id == obligation_id, report_overview.visible(user))
    )
    if obligation is None:
        raise NotFound(NOT_FOUND)
    return obligation


def filed_report(session: Session, user: User, obligation_id: int) -> FiledReport:
    obligation = visible_report(session, user, obligation_id)
    names = report_overview.report_names(session)
    history = _history(session, obligation)
    state = report_overview.state_of(obligation)
    fill = _last_fill_item(session, obligation)
    form = registry.get(fill.form_key) if fill is not None else None
    shown = _as_filed(history) if state in ("filed", "returned") else None
    return FiledReport(
        obligation=obligation,
        report_name=names.get((obligation.campaign_id, obligation.deadline_code), ""),
        state=state,
        form_title=form.title if form is not None else "",
        values=_values(session, obligation, form, shown) if shown is not None else [],
        filled_by=shown.actor_name if shown is not None else "",
        filled_at=shown.at if shown is not None else None,
        returns=[
            ReturnRecord(e.at, e.actor_name, str(_data(e).get("return_reason", "")))
            for e in history
            if e.bpmn_id == REVIEW_STEP
            and e.kind == "task_completed"
            and _data(e).get("office_decision") == "return"
        ],
        warnings=report_checks.warnings(session, obligation),
        awaiting_office=_open_step(session, obligation, REVIEW_STEP) is not None,
        my_step=_my_step(session, user, obligation),
        pending=pending_report(session, obligation, history),
    )


def pending_report(
    session: Session, obligation: Obligation, history: list[CaseEvent] | None = None
) -> PendingReport | None:
    """While the unit's head has the report to review (审核上报 open): the form its officer
    sent last, field by field, with the 核对提示 the office will read once it is filed."""
    if _open_step(session, obligation, UNIT_REVIEW_STEP) is None:
        return None
    history = _history(session, obligation) if history is None else history
    sent = next(
        (e for e in reversed(history) if e.kind == "task_completed" and e.bpmn_id == FILL_STEP),
        None,
    )
    if sent is None:
        return None
    fill = _last_fill_item(session, obligation)
    form = registry.get(fill.form_key) if fill is not None else None
    return PendingReport(
        values=_values(session, obligation, form, sent),
        filled_by=sent.actor_name,
        filled_at=sent.at,
        warnings=report_checks.warnings(session, obligation, unfiled=True),
    )


def return_report(
    session: Session, host: EngineHost, user: User, obligation_id: int, reason: str
) -> Obligation:
    """退回: the unit's officer gets the report's form back, with the reason."""
    reason = (reason or "").strip()
    obligation, step = _reviewable(session, user, obligation_id, "退回")
    if not reason:
        raise InvalidInput("请填写退回理由", {"reason": "请填写退回理由"})
    if len(reason) > REASON_LIMIT:
        raise InvalidInput(
            f"退回理由不能超过 {REASON_LIMIT} 字", {"reason": f"不能超过 {REASON_LIMIT} 字"}
        )
    tasks.complete(
        session, host, user, step.id, {"office_decision": "return", "return_reason": reason}
    )
    return obligation


def accept_report(session: Session, host: EngineHost, user: User, obligation_id: int) -> Obligation:
    """通过: the report stands as filed and its case ends."""
    obligation, step = _reviewable(session, user, obligation_id, "审阅")
    tasks.complete(session, host, user, step.id, {"office_decision": "accept"})
    return obligation


def _reviewable(
    session: Session, user: User, obligation_id: int, doing: str
) -> tuple[Obligation, WorkItem]:
    obligation = visible_report(session, user, obligation_id)
    if not sees_whole_district(user):
        raise NotAllowed(f"只有领导小组办公室可以{doing}报送的报告")
    if obligation.status == "returned":
        raise Conflict("该报告已退回，单位重新报送前不能再次退回或审阅")
    if obligation.status != "submitted":
        raise Conflict(f"该报告尚未报送，不能{doing}")
    step = _open_step(session, obligation, REVIEW_STEP)
    if step is None:
        if obligation.accepted_at is not None:
            raise Conflict("该报告已审阅通过，不能再退回")
        raise Conflict("该报告的流程没有领导小组办公室审阅环节（旧版流程），不能在此退回")
    return obligation, step


def _open_step(session: Session, obligation: Obligation, bpmn_id: str) -> WorkItem | None:
    if obligation.case_id is None:
        return None
    return session.scalars(
        select(WorkItem).where(
            WorkItem.case_id == obligation.case_id,
            WorkItem.bpmn_id == bpmn_id,
            WorkItem.state == WorkItemState.OPEN.value,
        )
    ).first()


def _my_step(session: Session, user: User, obligation: Obligation) -> WorkItem | None:
    if obligation.case_id is None:
        return None
    mine = {(r.unit_id, r.role) for r in user.roles}
    for item in session.scalars(
        select(WorkItem)
        .where(
            WorkItem.case_id == obligation.case_id,
            WorkItem.state == WorkItemState.OPEN.value,
        )
        .order_by(WorkItem.id)
    ):
        if (item.unit_id, item.role) in mine:
            return item
    return None


def _last_fill_item(session: Session, obligation: Obligation) -> WorkItem | None:
    if obligation.case_id is None:
        return None
    return session.scalars(
        select(WorkItem)
        .where(WorkItem.case_id == obligation.case_id, WorkItem.bpmn_id == FILL_STEP)
        .order_by(WorkItem.id.desc())
    ).first()


def _history(session: Session, obligation: Obligation) -> list[CaseEvent]:
    if obligation.case_id is None:
        return []
    return list(
        session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == obligation.case_id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )


def _as_filed(history: list[CaseEvent]) -> CaseEvent | None:
    """The officer's form the unit's head last approved (上报): a form filled again after a
    return and not yet approved is the unit's draft, not what was filed."""
    drafted = filed = None
    for event in history:
        if event.kind != "task_completed":
            continue
        if event.bpmn_id == FILL_STEP:
            drafted = event
        elif event.bpmn_id == "review_report" and _data(event).get("report_decision") == "approve":
            filed = drafted
    return filed


def _data(event: CaseEvent) -> dict[str, Any]:
    try:
        data = json.loads(event.data) if event.data else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _values(
    session: Session, obligation: Obligation, form: Any, event: CaseEvent
) -> list[FiledValue]:
    """The form's fields in its order, each with the value filed (a choice by its label,
    attachments as the case's files)."""
    data = _data(event)
    if form is None:
        return [FiledValue(name, str(value)) for name, value in data.items()]
    own = {a.id: a for a in files.of_case(session, obligation.case_id or 0)}
    shown = []
    for spec in form.fields:
        value = data.get(spec.name)
        if spec.type == "files":
            ids = [i for v in value or [] if (i := row_id(str(v))) is not None]
            attached = [own[i] for i in ids if i in own]
            shown.append(FiledValue(spec.label, "" if attached else "（无）", attached))
        elif spec.choices:
            shown.append(FiledValue(spec.label, dict(spec.choices).get(str(value), str(value))))
        else:
            shown.append(FiledValue(spec.label, "" if value is None else str(value)))
    return shown
