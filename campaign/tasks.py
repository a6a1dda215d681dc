"""Working any task of the campaign: claim it, hand it back, complete it. Completing runs the
case in the engine; the record the case serves (campaign.records) then takes up what the
task decided, the people who must act next are told, and the audit log records it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, files, notifications, records
from campaign.actors import actor_for
from campaign.campaign_cases import ensure_case_open
from campaign.models import User
from core import sent_later
from engine import cases, projection, workitems
from engine.errors import TaskNotFound
from engine.host import Assignment, EngineHost
from engine.models import WorkItem, WorkItemState
from forms import registry


def _ensure_open(session: Session, work_item_id: int) -> None:
    """A task of an ended campaign's record is neither claimed nor done (read-only)."""
    item = session.get(WorkItem, work_item_id)
    if item is not None:
        ensure_case_open(session, item.case_id)


def claim(session: Session, host: EngineHost, user: User, work_item_id: int) -> WorkItem:
    _ensure_open(session, work_item_id)
    item = workitems.claim(session, host, work_item_id, actor_for(user))
    _record_claim(session, "task.claim", user, item)
    return item


def unclaim(session: Session, user: User, work_item_id: int) -> WorkItem:
    _ensure_open(session, work_item_id)
    item = workitems.unclaim(session, work_item_id, actor_for(user))
    _record_claim(session, "task.unclaim", user, item)
    return item


def _record_claim(session: Session, action: str, user: User, item: WorkItem) -> None:
    audit.record(
        session, action, actor=user, target=f"case:{item.case_id}", task=item.bpmn_id, item=item.id
    )


def may_complete(session: Session, host: EngineHost, user: User, item: WorkItem) -> bool:
    """Whether the person may complete the task now: it is open, in their unit and role,
    and not claimed by someone else."""
    if item.state != WorkItemState.OPEN.value:
        return False
    if item.claimed_by is not None and item.claimed_by != user.id:
        return False
    return host.may_act(session, actor_for(user), Assignment(item.unit_id, item.role))


def complete(
    session: Session, host: EngineHost, user: User, work_item_id: int, data: Mapping[str, Any]
) -> cases.Completion:
    item = session.get(WorkItem, work_item_id)
    if item is None:
        raise TaskNotFound(f"任务不存在：{work_item_id}")
    ensure_case_open(session, item.case_id)
    form = registry.get(item.form_key)
    if form is not None:
        files.require_own_attachments(session, item.case_id, form, data)
    done = cases.complete_task(session, host, work_item_id, data, actor_for(user))
    records.take_up(session, host, user, done)
    # Nothing reads the record back before the audit record's insert: its row goes with it.
    record = records.record_of(session, done.case)
    if record is not None:
        sent_later.flush_later(session, record)
    notifications.tell_of_new_work(
        session, done.case.id, returned=sends_back(done.data), note=decision_note(done.data)
    )
    audit.record(
        session,
        "task.complete",
        actor=user,
        target=f"case:{done.case.id}",
        task=done.item.bpmn_id,
        form=done.item.form_key,
    )
    # Sent before returning, as every completion's writes were when the notices always read
    # the case's tasks (which flushed them): a reader on another session of the same
    # transaction sees the entry as the completion left it.
    session.flush()
    return done


def open_after(session: Session, done: cases.Completion) -> list[WorkItem]:
    """The case's open tasks after a completion: as its step left them while the case holds
    the state it stored (a completion's answer reads nothing more), else from the database."""
    known = projection.open_items_after(session, done.case)
    if known is not None:
        return sorted(known, key=lambda item: item.id)
    return list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.case_id == done.case.id, WorkItem.state == WorkItemState.OPEN.value)
            .order_by(WorkItem.id)
        )
    )


def sends_back(data: Mapping[str, Any]) -> bool:
    """A decision that returns the work to an earlier step."""
    decisions = (
        "review_decision",
        "signoff_decision",
        "disclosure_decision",
        "report_decision",
        "office_decision",
    )
    return any(data.get(name) == "return" for name in decisions) or any(
        data.get(name) == "reject" for name in ("extension_decision", "void_decision")
    )


def decision_note(data: Mapping[str, Any]) -> str:
    """The reason or opinion given with a decision, for the history, the notice and the
    banner on a returned task."""
    for name, value in data.items():
        if name.endswith(("_reason", "_opinion")) and isinstance(value, str) and value.strip():
            return value.strip()
    return ""
