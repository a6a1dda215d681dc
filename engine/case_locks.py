"""A case's row lock: every change to a case (a step, a claim, 转派, a completion) happens
under it, so they are serialised.

The case is read with its state by the statement that locks it. A caller that has read it so
already in this transaction, by a statement of its own that also answered its own questions
(campaign.campaign_cases.visible_item, for a change: the task, who may see it, whether its
campaign has ended), says so with `held`, and the lock is not taken a second time. What it
held is forgotten when the transaction, or a savepoint in it, ends: a savepoint rolled back
releases the locks taken in it."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Select, and_, bindparam, event, inspect, or_, select
from sqlalchemy.orm import Session, SessionTransaction, joinedload, undefer
from sqlalchemy.orm.strategy_options import _AbstractLoad
from sqlalchemy.orm.util import identity_key

from engine.errors import TaskNotFound
from engine.models import Case, Timer, WorkItem, WorkItemState

# What a locking read of a case loads with it: its state and its process.
LOCKED_READ: tuple[_AbstractLoad, ...] = (
    undefer(Case.state),
    joinedload(Case.definition, innerjoin=True),
)
# Built once: composing a statement costs more than SQLite takes to run it, on every step.
_LOCK_CASE = (
    select(Case)
    .where(Case.id == bindparam("case_id"))
    .options(*LOCKED_READ)
    .with_for_update(of=Case)
    .execution_options(populate_existing=True)
)
_LOCK_CASE_OF_ITEM = (
    select(Case)
    .where(
        Case.id
        == select(WorkItem.case_id).where(WorkItem.id == bindparam("item_id")).scalar_subquery()
    )
    .options(*LOCKED_READ)
    .with_for_update(of=Case)
    .execution_options(populate_existing=True)
)
_HELD = "ykt.case_locked"  # session.info: the case a caller read with its state under its lock
_READ_WITH = "ykt.read_with_tasks"  # session.info: the record read with the tasks, kept


_ITEMS_AND: dict[type[Any] | None, Select[Any]] = {}


def _item_and_open(record: type[Any] | None) -> Select[Any]:
    """The item and the case's open items, in one statement; the case's timers on the item's
    rows (a row each; on the item's only, so that a case of many open items and many timers
    reads as many rows as it has of both, not their product); with each row, the record of
    the given model that names the case (`case_id`), when there is one (built once a model)."""
    built = _ITEMS_AND.get(record)
    if built is None:
        found = select(WorkItem, Timer).outerjoin(
            Timer,
            and_(Timer.case_id == WorkItem.case_id, WorkItem.id == bindparam("item_id")),
        )
        if record is not None:
            found = found.add_columns(record).outerjoin(record, record.case_id == WorkItem.case_id)
        built = _ITEMS_AND[record] = found.where(
            WorkItem.case_id == bindparam("case_id"),
            or_(WorkItem.id == bindparam("item_id"), WorkItem.state == WorkItemState.OPEN.value),
        ).execution_options(populate_existing=True)
    return built


def held(session: Session, case: Case) -> None:
    """The caller has just read the case, state and process included, by a statement that
    locked its row (FOR UPDATE OF its table, populate_existing) in this transaction."""
    session.info[_HELD] = case


@event.listens_for(Session, "after_transaction_end")
def _forget_held(session: Session, _transaction: SessionTransaction) -> None:
    session.info.pop(_HELD, None)
    session.info.pop(_READ_WITH, None)


def _held_case_of(session: Session, work_item_id: int) -> Case | None:
    case: Case | None = session.info.get(_HELD)
    if case is None or case not in session or {"state", "definition"} & inspect(case).unloaded:
        return None
    item = session.identity_map.get(identity_key(WorkItem, work_item_id))
    return case if item is not None and item.case_id == case.id else None


def lock_case(session: Session, case_id: int) -> Case:
    """The case row, locked for this transaction (SQLite: the write lock is already held)."""
    case = session.scalars(_LOCK_CASE, {"case_id": case_id}).first()
    if case is None:
        raise TaskNotFound(f"案件不存在：{case_id}")
    return case


def locked_item(session: Session, work_item_id: int) -> tuple[WorkItem, Case]:
    """The work item and its case, the case row locked for this transaction.

    The item is read by a statement of its own after the lock is held: on PostgreSQL a
    statement that waited for a lock still sees the other rows as they were when it began,
    so an item read with the lock would miss a claim committed while this transaction
    waited."""
    locked = locked_item_and_open(session, work_item_id)
    return locked.item, locked.case


class LockedItem(NamedTuple):
    """A work item read after its case's lock, with what the same statement read of the
    case: its open items and its timers' rows (which a step projects its timers onto)."""

    item: WorkItem
    case: Case
    open_items: list[WorkItem]
    timers: list[Timer]


def locked_item_and_open(
    session: Session, work_item_id: int, *, with_record: type[Any] | None = None
) -> LockedItem:
    """`locked_item`, and the case's open work items and timers read by the same statement;
    with them the case's record of the model `with_record` (EngineHost.read_with_tasks), read
    after the lock as they are and kept in the session for the rest of the transaction (the
    session holds its objects weakly, and the caller reads it next)."""
    case = (
        _held_case_of(session, work_item_id)
        or session.scalars(_LOCK_CASE_OF_ITEM, {"item_id": work_item_id}).first()
    )
    rows = (
        session.execute(
            _item_and_open(with_record), {"case_id": case.id, "item_id": work_item_id}
        ).all()
        if case is not None
        else []
    )
    item = next((row[0] for row in rows if row[0].id == work_item_id), None)
    if case is None or item is None:
        raise TaskNotFound(f"任务不存在：{work_item_id}")
    if with_record is not None and rows[0][2] is not None:
        session.info[_READ_WITH] = rows[0][2]
    # dicts keep the rows' order and drop the repeats of the item's rows, one a timer
    items = {row[0].id: row[0] for row in rows}
    timers = {row[1].id: row[1] for row in rows if row[1] is not None}
    open_items = [i for i in items.values() if i.state == WorkItemState.OPEN.value]
    return LockedItem(item, case, open_items, list(timers.values()))
