"""A case's row lock: every change to a case (a step, a claim, 转派, a completion) happens
under it, so they are serialised.

A change to a task locks the task's case and then reads, by one statement that begins after
the lock is held, the task, the case with its state, the case's open tasks and timers, and
what else its caller asks for (`read_for_change`). On PostgreSQL the lock goes with that
read, in one round trip (core.sent_later): the server runs them in turn, so the read sees
what the lock's last holder committed. A caller that read a task so for questions of its own
(campaign.campaign_cases.visible_item: who may see it, whether its campaign has ended) leaves
what it read to the engine's step on that task, which then reads nothing again. What it left
is forgotten when the transaction, or a savepoint in it, ends: a savepoint rolled back
releases the locks taken in it."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Select, and_, bindparam, case, event, func, inspect, or_, select
from sqlalchemy.orm import Session, SessionTransaction, aliased, joinedload, undefer
from sqlalchemy.orm.strategy_options import _AbstractLoad

from core import sent_later
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
# The lock of the case of a task, whose rows nobody reads: sent with the read that follows.
_OF_ITEM = aliased(WorkItem)
_CASE_OF_ITEM = select(_OF_ITEM.case_id).where(_OF_ITEM.id == bindparam("item_id"))
_LOCK_OF_ITEM = (
    select(Case.id).where(Case.id == _CASE_OF_ITEM.scalar_subquery()).with_for_update(of=Case)
)
_HELD = "ykt.case_locked"  # session.info: what a caller read for a change, for the step
_RESERVED = "ykt.reserved_item_ids"  # session.info: case id → ids drawn for its next items
# On PostgreSQL, the read of a change also draws the id of the work item its step will most
# likely open (one on each of the task's rows), so that the item's INSERT need not wait for
# its id to come back (engine.projection, core.sent_later.insert_later). An id not used is
# a gap in the sequence, as a rolled-back insert leaves.
_NEXT_ITEM_ID = case(
    (
        WorkItem.id == bindparam("item_id"),
        func.nextval(func.pg_get_serial_sequence("work_item", "id")),
    ),
    else_=None,
)
_READ_WITH = "ykt.read_with_tasks"  # session.info: the record read with the tasks, kept


_ITEMS_AND: dict[tuple[type[Any] | None, tuple[Any, ...]], Select[Any]] = {}


def _item_and_open(record: type[Any] | None, columns: tuple[Any, ...] = ()) -> Select[Any]:
    """The item and its case's open items, in one statement; on the item's rows (one a timer
    of the case, so that a case of many open items and many timers reads as many rows as it
    has of both, not their product) the case's timers, the case with its state and process,
    and the `columns` asked for; with each row, the record of the given model that names the
    case (`case_id`), when there is one (built once a model and columns)."""
    built = _ITEMS_AND.get((record, columns))
    if built is None:
        on_item = WorkItem.id == bindparam("item_id")
        found = (
            select(WorkItem, Timer, Case)
            .outerjoin(Timer, and_(Timer.case_id == WorkItem.case_id, on_item))
            .outerjoin(Case, and_(Case.id == WorkItem.case_id, on_item))
            # not an inner join: the rows of the other items have no case to join it to
            .options(undefer(Case.state), joinedload(Case.definition))
        )
        if record is not None:
            found = found.add_columns(record).outerjoin(record, record.case_id == WorkItem.case_id)
        built = _ITEMS_AND[(record, columns)] = (
            found.add_columns(*columns)
            .where(
                WorkItem.case_id == _CASE_OF_ITEM.scalar_subquery(),
                or_(on_item, WorkItem.state == WorkItemState.OPEN.value),
            )
            .execution_options(populate_existing=True)
        )
    return built


@event.listens_for(Session, "after_transaction_end")
def _forget_held(session: Session, _transaction: SessionTransaction) -> None:
    session.info.pop(_HELD, None)
    session.info.pop(_READ_WITH, None)
    session.info.pop(_RESERVED, None)


def reserved_item_id(session: Session, case_id: int) -> int | None:
    """An id drawn for a new work item of the case by a change's read in this transaction,
    if one is left (taken: each is used once). Only the case's own: drawn after its lock,
    they are larger than the ids of its items opened before; another case's items may have
    taken larger ones meanwhile."""
    reserved: dict[int, list[int]] = session.info.get(_RESERVED, {})
    ids = reserved.get(case_id)
    return ids.pop(0) if ids else None


def lock_case(session: Session, case_id: int) -> Case:
    """The case row, locked for this transaction (SQLite: the write lock is already held)."""
    case = session.scalars(_LOCK_CASE, {"case_id": case_id}).first()
    if case is None:
        raise TaskNotFound(f"案件不存在：{case_id}")
    return case


def locked_item(session: Session, work_item_id: int) -> tuple[WorkItem, Case]:
    """The work item and its case, the case row locked for this transaction."""
    locked = locked_item_and_open(session, work_item_id)
    return locked.item, locked.case


class LockedItem(NamedTuple):
    """A work item read after its case's lock, with what the same statement read of the
    case: the case itself, its open items and its timers' rows (which a step projects its
    timers onto), the record asked for and the caller's columns of the item's row."""

    item: WorkItem
    case: Case
    open_items: list[WorkItem]
    timers: list[Timer]
    record: Any = None
    columns: tuple[Any, ...] = ()


def read_for_change(
    session: Session,
    work_item_id: int,
    *,
    with_record: type[Any] | None = None,
    columns: tuple[Any, ...] = (),
) -> LockedItem | None:
    """Lock the item's case and read after the lock, by one statement, what a change reads
    (LockedItem), the `columns` evaluated on the item's row (an expression built once: the
    statement is kept by it); None when there is no such item. The next
    `locked_item_and_open` of the item in this transaction takes what was read."""
    drawn = session.get_bind().dialect.name == "postgresql"
    if drawn:  # SQLite's write lock is held already
        sent_later.write_later(session, _LOCK_OF_ITEM, {"item_id": work_item_id})
    read = _item_and_open(with_record, (*columns, _NEXT_ITEM_ID) if drawn else columns)
    rows = session.execute(read, {"item_id": work_item_id}).all()
    mine = next((row for row in rows if row[0].id == work_item_id), None)
    if mine is None:
        return None
    # dicts keep the rows' order and drop the repeats of the item's rows, one a timer
    items = {row[0].id: row[0] for row in rows}
    timers = {row[1].id: row[1] for row in rows if row[1] is not None}
    shift = 3 if with_record is None else 4
    asked = tuple(mine[shift : shift + len(columns)])
    if drawn:
        ids = sorted({row[-1] for row in rows if row[-1] is not None})
        session.info.setdefault(_RESERVED, {}).setdefault(mine[2].id, []).extend(ids)
    locked = LockedItem(
        mine[0],
        mine[2],
        [i for i in items.values() if i.state == WorkItemState.OPEN.value],
        list(timers.values()),
        mine[3] if with_record is not None else None,
        asked,
    )
    session.info[_HELD] = (locked, with_record)
    return locked


def drop_read(session: Session) -> None:
    """Forget what read_for_change read (its caller refused the change): a step then reads
    again. The lock stays until the transaction ends, as every lock."""
    session.info.pop(_HELD, None)


def _held(session: Session, work_item_id: int, with_record: type[Any] | None) -> LockedItem | None:
    """What read_for_change read of the item in this transaction, taken once: a second step
    in the same transaction reads again what the first changed."""
    held = session.info.get(_HELD)
    if held is None or held[0].item.id != work_item_id:
        return None
    if with_record is not None and held[1] is not with_record:
        return None  # read without the record wanted (one read with a record serves all)
    del session.info[_HELD]
    locked: LockedItem = held[0]
    loaded = locked.case in session and not {"state", "definition"} & inspect(locked.case).unloaded
    return locked if loaded and locked.item in session else None


def locked_item_and_open(
    session: Session, work_item_id: int, *, with_record: type[Any] | None = None
) -> LockedItem:
    """The item, its case locked, its open items and timers, and with them the case's record
    of the model `with_record` (EngineHost.read_with_tasks), read after the lock as they are
    and kept in the session for the rest of the transaction (the session holds its objects
    weakly, and the caller reads it next)."""
    locked = _held(session, work_item_id, with_record) or read_for_change(
        session, work_item_id, with_record=with_record
    )
    if locked is None:
        raise TaskNotFound(f"任务不存在：{work_item_id}")
    if with_record is not None and locked.record is not None:
        session.info[_READ_WITH] = locked.record
    return locked
