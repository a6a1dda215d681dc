"""Work items: the inbox hot path and what overdue means (plain SQL, no workflow is loaded),
claiming and handing on (转派)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from core import clock, sent_later
from core.errors import InvalidInput
from engine.case_locks import locked_item
from engine.cases import check_can_act, record_event
from engine.errors import NotAllowed, TaskConflict
from engine.host import Actor, Assignment, EngineHost
from engine.models import WorkItem, WorkItemState


def overdue(now: datetime | None = None) -> ColumnElement[bool]:
    """The one meaning of 逾期: a task still open after its due time."""
    return and_(WorkItem.state == WorkItemState.OPEN.value, WorkItem.due_at < (now or clock.now()))


def first_page_ids(session: Session, unit_id: int, role: str, limit: int = 50) -> list[int]:
    """The inbox's hot path for one unit and role, as the benchmark measures it."""
    return list(
        session.scalars(
            select(WorkItem.id)
            .where(
                WorkItem.state == WorkItemState.OPEN.value,
                WorkItem.unit_id == unit_id,
                WorkItem.role == role,
            )
            .order_by(WorkItem.due_at.asc().nulls_last(), WorkItem.id)
            .limit(limit)
        )
    )


def claim(session: Session, host: EngineHost, work_item_id: int, actor: Actor) -> WorkItem:
    item, _case = locked_item(session, work_item_id)
    check_can_act(session, host, item, actor)
    if item.claimed_by != actor.id:  # under the case's lock: sent with the next statement
        sent_later.set_later(session, item, {"claimed_by": actor.id, "claimed_at": clock.now()})
        record_event(
            session, item.case_id, "claimed", actor, bpmn_id=item.bpmn_id, title=item.title
        )
    session.flush()
    return item


def unclaim(session: Session, work_item_id: int, actor: Actor) -> WorkItem:
    item, _case = locked_item(session, work_item_id)
    if item.state != WorkItemState.OPEN.value:
        raise TaskConflict("该任务已办理完毕")
    if item.claimed_by != actor.id:
        raise NotAllowed("只能退回自己认领的任务")
    sent_later.set_later(session, item, {"claimed_by": None, "claimed_at": None})
    record_event(session, item.case_id, "unclaimed", actor, bpmn_id=item.bpmn_id, title=item.title)
    session.flush()
    return item


def reassign(
    session: Session,
    host: EngineHost,
    work_item_id: int,
    *,
    by: Actor,
    reason: str,
    to_assignment: Assignment | None = None,
    to_person: Actor | None = None,
) -> WorkItem:
    """Hand a task to another unit and role, or to a named person who may act on it."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("转派须填写理由", {"reason": "请填写转派理由"})
    item, _case = locked_item(session, work_item_id)
    if item.state != WorkItemState.OPEN.value:
        raise TaskConflict("该任务已办理完毕")
    target = to_assignment or Assignment(item.unit_id, item.role)
    if to_person is not None and not host.may_act(session, to_person, target):
        raise NotAllowed(f"{to_person.name} 无权办理此任务")
    before = {"unit_id": item.unit_id, "role": item.role, "claimed_by": item.claimed_by}
    item.unit_id, item.role = target.unit_id, target.role
    item.claimed_by = to_person.id if to_person is not None else None
    item.claimed_at = clock.now() if to_person is not None else None
    record_event(
        session,
        item.case_id,
        "reassigned",
        by,
        bpmn_id=item.bpmn_id,
        title=item.title,
        message=reason,
        data={
            "before": before,
            "after": {"unit_id": item.unit_id, "role": item.role, "claimed_by": item.claimed_by},
        },
    )
    session.flush()
    return item
