"""Projecting a workflow's state into plain rows: READY manual tasks become work items,
waiting timers become timer rows. Runs in the same transaction as the state it reflects."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, event, insert, inspect, select
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.util import identity_key

from core import clock, sent_later
from engine import case_locks, deadline_marks, spiff, waits
from engine.host import CaseContext, EngineHost
from engine.models import Case, MessageWait, Timer, WorkItem, WorkItemState


def context_of(case: Case) -> CaseContext:
    return CaseContext(
        case.owning_unit_id, case.responsible_unit_id, case.subject_type, case.subject_id
    )


def lane_of(task: Task) -> str:
    """A task's lane; inside a call activity or subprocess, the lane of the calling task."""
    node: Task | None = task
    while node is not None:
        lane = getattr(node.task_spec, "lane", None)
        if lane:
            return str(lane)
        workflow = node.workflow
        parent_id = getattr(workflow, "parent_task_id", None)
        node = workflow.top_workflow.get_task_from_id(parent_id) if parent_id else None
    return ""


def timer_due(task: Task) -> datetime | None:
    """When a waiting timer task fires, from the value SpiffWorkflow computed for it."""
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        when: datetime = TimerEventDefinition.get_datetime(value)
    except ValueError:
        return None
    # A plain datetime: the library's parse may answer with engine.spiff's clock subclass,
    # which a row kept in the session would hand on to a bulk insert the driver refuses.
    return datetime(
        *(when.year, when.month, when.day, when.hour, when.minute, when.second),
        when.microsecond,
        tzinfo=when.tzinfo,
        fold=when.fold,
    )


def is_timer(task: Task) -> bool:
    """A task that waits for a timer: a timer event, or an event-based gateway or multiple
    event with a timer among the events it waits for."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return any(isinstance(d, TimerEventDefinition) for d in definition.event_definitions)
    return isinstance(definition, TimerEventDefinition)


def waiting_timers(workflow: BpmnWorkflow) -> Iterator[Task]:
    return (t for t in spiff.tasks_in(workflow, TaskState.WAITING) if is_timer(t))


def has_due_timer(workflow: BpmnWorkflow, now: datetime) -> bool:
    return any((when := timer_due(t)) is not None and when <= now for t in waiting_timers(workflow))


def _attached_task(timer: Task) -> Task | None:
    """The activity a boundary timer sits on: its sibling under the boundary split."""
    parent = timer.parent
    if parent is None or not parent.task_spec.name.endswith("BoundaryEventSplit"):
        return None
    for sibling in parent.children:
        if sibling is not timer and sibling.task_spec.manual:
            return sibling
    return None


def _deadlines(workflow: BpmnWorkflow) -> dict[str, datetime]:
    """The due time of each READY task, from the timer boundary events on it. A timer that
    has already fired still says when the task was due: the task stays overdue, it does not
    lose its deadline."""
    due_by_task: dict[str, datetime] = {}
    for task in spiff.tasks_in(workflow, TaskState.READY, manual=True):
        parent = task.parent
        if parent is None or not parent.task_spec.name.endswith("BoundaryEventSplit"):
            continue
        for sibling in parent.children:
            if sibling is task or not is_timer(sibling) or sibling.state == TaskState.CANCELLED:
                continue
            due = timer_due(sibling)
            if due is not None:
                guid = str(task.id)
                due_by_task[guid] = min(due, due_by_task.get(guid, due))
    return due_by_task


@dataclass
class Known:
    """Projected rows of locked cases the caller knows already, so that projecting them
    reads nothing more: a batch's, read with one statement per table after the locks, or
    one case's (`before_step`). Rows of a table a case has no entry for are read."""

    timers: dict[int, list[Timer]] = field(default_factory=dict)
    open_items: dict[int, list[WorkItem]] = field(default_factory=dict)
    waits: dict[int, list[MessageWait]] = field(default_factory=dict)

    @classmethod
    def read(cls, session: Session, case_ids: list[int]) -> Known:
        known = cls({i: [] for i in case_ids}, {i: [] for i in case_ids}, {i: [] for i in case_ids})
        ids = {"case_ids": case_ids}
        for timer in session.scalars(_BATCH_TIMERS, ids):
            known.timers[timer.case_id].append(timer)
        for item in session.scalars(_BATCH_OPEN_ITEMS, ids):
            known.open_items[item.case_id].append(item)
        for wait in session.scalars(waits.BATCH_WAITS, ids):
            known.waits[wait.case_id].append(wait)
        return known

    @classmethod
    def before_step(
        cls, case: Case, workflow: BpmnWorkflow, open_items: list[WorkItem], timers: list[Timer]
    ) -> Known:
        """One locked case, from its stored workflow before it runs, its open items and its
        timers' rows (read after the lock). Message-wait rows are written only for what the
        stored workflow waits for, so one that waits for no message has none to read."""
        known = cls(timers={case.id: timers}, open_items={case.id: open_items})
        if not waits.message_waits(workflow):
            known.waits[case.id] = []
        return known


def project(
    session: Session,
    host: EngineHost,
    case: Case,
    workflow: BpmnWorkflow,
    known: Known | None = None,
) -> None:
    due_by_task = _deadlines(workflow)
    timers: dict[str, dict[str, Any]] = {}
    for task in waiting_timers(workflow):
        due = timer_due(task)
        if due is None:
            continue
        attached = _attached_task(task)
        timers[str(task.id)] = {
            "case_id": case.id,
            "task_guid": str(task.id),
            "bpmn_id": task.task_spec.bpmn_id or "",
            "attached_to": attached.task_spec.bpmn_id if attached is not None else "",
            "due_at": due,
            "title": (task.task_spec.bpmn_name or "定时器")[:200],
            "marks_only": deadline_marks.only_marks(task),
        }
    rows = known or Known()
    timer_rows = rows.timers.get(case.id)
    if timer_rows is None:
        timer_rows = list(session.scalars(_CASE_TIMERS, {"case_id": case.id}))
    item_rows = rows.open_items.get(case.id)
    if item_rows is None:
        item_rows = list(session.scalars(_OPEN_ITEMS, {"case_id": case.id}))
    _store_timers(session, case, timers, timer_rows)
    steps, opened, still_open = _store_work_items(
        session, host, case, workflow, due_by_task, item_rows
    )
    waits.store(session, case, workflow, rows.waits.get(case.id))
    # The steps left open, for the record that follows the case right after (open_steps),
    # tied to the state just stored: a rollback or another step leaves a different one.
    session.info.setdefault(_OPEN_STEPS, {})[case.id] = (case.state, steps)
    # The items this step opened, when they are all the case's open items (none was open
    # before and stays open), for the notices that follow (opened_items). A few cases only:
    # a batch of steps would otherwise hold every item it opened.
    held: OrderedDict[int, tuple[str, list[WorkItem]]] = session.info.setdefault(
        _OPENED, OrderedDict()
    )
    held.pop(case.id, None)
    if not still_open:
        _keep(held, case.id, (case.state, opened))
    # All the case's open items after the step, for whoever answers with them (the API).
    _keep(
        session.info.setdefault(_OPEN_AFTER, OrderedDict()),
        case.id,
        (case.state, still_open + opened),
    )


def _keep(held: OrderedDict[int, Any], case_id: int, value: Any) -> None:
    held.pop(case_id, None)
    held[case_id] = value
    while len(held) > _OPENED_KEPT:
        held.popitem(last=False)


_OPEN_STEPS = "ykt.open_steps"  # session.info: case id → (state stored, its open steps)
_OPENED = "ykt.opened_items"  # session.info: case id → (state stored, the items it opened)
_OPEN_AFTER = "ykt.open_after"  # session.info: case id → (state stored, its open items)
_OPENED_KEPT = 8


def open_items_after(session: Session, case: Case) -> list[WorkItem] | None:
    """The case's open work items as its last step left them, while the case holds the state
    that step stored; None when that is not known."""
    stored, items = session.info.get(_OPEN_AFTER, {}).get(case.id, (None, []))
    if stored is not None and inspect(case).dict.get("state") is stored:
        return list(items)
    return None


def opened_items(session: Session, case_id: int) -> list[WorkItem] | None:
    """The case's open work items when its last step, in this transaction, opened every one
    of them and the case (held by the session) still holds the state that step stored: none
    of them can have been told of yet. Taken once: whoever asks next, however the notices
    went, gets None, which means not known."""
    stored, items = session.info.get(_OPENED, {}).pop(case_id, (None, []))
    case = session.identity_map.get(identity_key(Case, case_id))
    if stored is not None and case is not None and inspect(case).dict.get("state") is stored:
        return list(items)
    return None


@event.listens_for(Session, "after_transaction_end")
def _forget_steps(session: Session, transaction: SessionTransaction) -> None:
    """What the steps of a transaction left is known only until it ends (a commit keeps the
    session's objects loaded, and another transaction may change the rows)."""
    if transaction.parent is None:
        for key in (_OPENED, _OPEN_AFTER, _OPEN_STEPS):
            session.info.pop(key, None)


def open_steps(session: Session, case: Case) -> list[str]:
    """The BPMN ids of the case's open work items: as the projection just stored them when
    the case still holds that state, else from the database."""
    stored, steps = session.info.get(_OPEN_STEPS, {}).pop(case.id, (None, []))
    if stored is not None and inspect(case).dict.get("state") is stored:
        return steps
    return list(
        session.scalars(
            select(WorkItem.bpmn_id).where(
                WorkItem.case_id == case.id, WorkItem.state == WorkItemState.OPEN.value
            )
        )
    )


# Built once: they run on every step of every case.
_CASE_TIMERS = select(Timer).where(Timer.case_id == bindparam("case_id"))
_OPEN_ITEMS = select(WorkItem).where(
    WorkItem.case_id == bindparam("case_id"), WorkItem.state == WorkItemState.OPEN.value
)
_BATCH_TIMERS = select(Timer).where(Timer.case_id.in_(bindparam("case_ids", expanding=True)))
_BATCH_OPEN_ITEMS = select(WorkItem).where(
    WorkItem.case_id.in_(bindparam("case_ids", expanding=True)),
    WorkItem.state == WorkItemState.OPEN.value,
)


def _store_timers(
    session: Session, case: Case, timers: dict[str, dict[str, Any]], rows: list[Timer]
) -> None:
    """The case's timer rows made to match its waiting timers. The case is locked, so the
    writes go with the next statement (core.sent_later); nothing reads them back before."""
    existing = {t.task_guid: t for t in rows}
    gone = [row for guid, row in existing.items() if guid not in timers]
    for guid, timer in timers.items():
        if guid in existing:  # rows from before deadline marks learn whether they are one
            row = existing[guid]
            changed = {k: timer[k] for k in _REVISED if getattr(row, k) != timer[k]}
            if changed:
                sent_later.set_later(session, row, changed)
        elif gone:
            # A loop arms its boundary timer anew on every round (a new task id): the row of
            # the one that went takes the new one's values, one UPDATE instead of two writes.
            sent_later.set_later(session, gone.pop(), {**timer, "marked_at": None})
        else:
            sent_later.write_later(session, _INSERT_TIMER, {**timer, "marked_at": None})
    for row in gone:
        session.delete(row)


_REVISED = ("due_at", "title", "marks_only")
_INSERT_TIMER = insert(Timer.__table__).inline()  # type: ignore[arg-type]


def _store_work_items(
    session: Session,
    host: EngineHost,
    case: Case,
    workflow: BpmnWorkflow,
    due_by_task: dict[str, datetime],
    rows: list[WorkItem],
) -> tuple[list[str], list[WorkItem], list[WorkItem]]:
    """Open, update and cancel the case's work items to match its READY tasks; returns the
    BPMN ids of those left open, the items opened and those open before that stay open."""
    open_items = {w.task_guid: w for w in rows}
    ready = {str(t.id): t for t in spiff.tasks_in(workflow, TaskState.READY, manual=True)}
    now = clock.now()
    still_open: list[WorkItem] = []
    for guid, item in open_items.items():
        if item.state != WorkItemState.OPEN.value:
            continue  # completed by this step, not yet written
        if guid not in ready:  # left READY without our completion: interrupted or cancelled
            item.state = WorkItemState.CANCELLED.value
            item.completed_at = now
        else:
            item.due_at = due_by_task.get(guid)
            still_open.append(item)
    context = context_of(case)
    opened: list[WorkItem] = []
    for guid, task in ready.items():
        if guid in open_items:
            continue
        lane = lane_of(task)
        assignment = host.assign(session, lane, context, task.data)
        form = getattr(task.task_spec, "form", None)
        opened.append(
            WorkItem(
                case_id=case.id,
                task_guid=guid,
                bpmn_id=task.task_spec.bpmn_id or "",
                title=(task.task_spec.bpmn_name or task.task_spec.bpmn_id or "")[:200],
                form_key=(getattr(form, "key", None) or ""),
                lane=lane,
                unit_id=assignment.unit_id,
                role=assignment.role,
                due_at=due_by_task.get(guid),
                created_at=now,
            )
        )
    for item in opened:
        # With an id drawn by the change's read, its INSERT goes with the next statement.
        reserved = case_locks.reserved_item_id(session, case.id)
        if reserved is not None:
            item.id = reserved
            if sent_later.insert_later(session, item):
                continue
        session.add(item)
    return [task.task_spec.bpmn_id or "" for task in ready.values()], opened, still_open


def forget(session: Session, case: Case) -> None:
    """A finished or cancelled case has no timers left to fire nor messages to wait for."""
    session.execute(delete(Timer).where(Timer.case_id == case.id))
    waits.forget(session, case)
