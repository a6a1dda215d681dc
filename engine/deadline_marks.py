"""Deadline marks: boundary timers whose falling due runs nothing, recorded without the engine.

A task's deadline is a non-interrupting timer boundary event on it whose outgoing flows end
at once (a plain end event: 整改时限届满, 受理期限届满, …). What 逾期 means is data: an open work
item past its due time (`engine.workitems.overdue`), and the work item's due time comes from
that timer (`projection`). Firing such a timer in SpiffWorkflow changes nothing but the timer
itself: no task, no data, no message, no status. So the sweep does not restore and run each
case for it; it records the firing ("timer_fired" in the case's history, as the engine would)
and marks the timer row, with a few set-based statements for thousands of cases at once.

The case's stored workflow still holds the timer waiting. Whenever the case next runs, the
engine fires it (it is due) or cancels it (its task was completed); `cases.record_fired`
then leaves out the timers already marked, so a deadline is in the history once.

Exactly once: marking takes the cases' row locks (in id order, like every sweep) before it
reads their timers, as every other change to a case does; a completion holding the lock is
waited for, and afterwards its task is done and the timer row gone. A case that is not
running (in error, completed, cancelled) is not marked; the one-case path tidies it up."""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.task import Task
from sqlalchemy import ColumnElement, and_, bindparam, insert, literal, select, update
from sqlalchemy.orm import Session

from engine.host import SYSTEM
from engine.models import Case, CaseEvent, CaseStatus, Timer

MARK_BATCH = 2_000  # cases marked per transaction (SQLite's write lock is held that long)
_ONCE = (TimeDateEventDefinition, DurationTimerEventDefinition)
_LIVE = (CaseStatus.RUNNING.value, CaseStatus.WAITING.value)


def only_marks(timer: Task) -> bool:
    """Whether firing this waiting timer task runs nothing but the timer: a non-interrupting
    boundary timer that fires once (a date or a duration, not a cycle) and whose every
    outgoing flow goes straight to a plain end event. The one rule of which timers the sweep
    may record without the engine."""
    spec = timer.task_spec
    if not isinstance(spec, BoundaryEvent) or spec.cancel_activity:
        return False
    if not isinstance(spec.event_definition, _ONCE):
        return False
    # Besides its flows, a boundary event leads to the join of the task it is attached to.
    flows = [out for out in spec.outputs if not isinstance(out, BoundaryEventJoin)]
    return bool(flows) and all(
        isinstance(out, EndEvent) and type(out.event_definition) is NoneEventDefinition
        for out in flows
    )


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(Timer.marks_only.is_(True), Timer.marked_at.is_(None), Timer.due_at <= now)


def due_case_ids(session: Session, now: datetime, limit: int, *, after: int = 0) -> list[int]:
    """Cases with an unmarked deadline mark due, by id after `after` (keyset paging)."""
    return list(
        session.scalars(
            select(Timer.case_id)
            .where(_due(now), Timer.case_id > after)
            .group_by(Timer.case_id)
            .order_by(Timer.case_id)
            .limit(limit)
        )
    )


_EVENT_COLUMNS = [
    "case_id",
    "at",
    "kind",
    "actor_id",
    "actor_name",
    "bpmn_id",
    "title",
    "data",
    "message",
]
_LOCK_LIVE = (
    select(Case.id)
    .where(Case.id.in_(bindparam("case_ids", expanding=True)), Case.status.in_(_LIVE))
    .order_by(Case.id)
    .with_for_update()
)


def mark_due(session: Session, now: datetime, case_ids: list[int]) -> int:
    """In the caller's transaction: lock these cases and mark their due deadline marks, each
    with its history entry; the number marked."""
    locked = list(session.scalars(_LOCK_LIVE, {"case_ids": sorted(case_ids)}))
    if not locked:
        return 0
    # Read after the locks, so nothing a completion changed meanwhile is marked.
    where = and_(Timer.case_id.in_(locked), _due(now))
    session.execute(
        insert(CaseEvent).from_select(
            _EVENT_COLUMNS,
            select(
                Timer.case_id,
                literal(now, CaseEvent.at.type),
                literal("timer_fired"),
                literal(SYSTEM.id, CaseEvent.actor_id.type),
                literal(SYSTEM.name),
                Timer.bpmn_id,
                Timer.title,
                literal(""),
                literal(""),
            )
            .where(where)
            .order_by(Timer.case_id, Timer.id),
        )
    )
    marked = session.execute(
        update(Timer)
        .where(where)
        .values(marked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(marked.rowcount)  # type: ignore[attr-defined]


def marked_guids(session: Session, case_id: int) -> set[str]:
    """The task ids of the case's timers the sweep marked already."""
    return set(
        session.scalars(
            select(Timer.task_guid).where(Timer.case_id == case_id, Timer.marked_at.is_not(None))
        )
    )
