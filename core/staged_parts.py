"""Copying staged rows in on SQLite in parts, each a short write, shown to everyone at once.

One write transaction for a whole staged copy (core.staging) held SQLite's write lock for as
long as the copy took: 15 s for the 600,000 rows of a 100,000-row ledger import, every other
writer waiting as long. Here the rows go in a few thousand at a time, each part a write
transaction of its own with a pause after it for whoever waited, and no one sees them until
a last short transaction shows them all:

- The first part claims each table's range of ids: the staged ids, moved past what others
  inserted meanwhile, and the range's last row copied first, so that every other writer's
  new rows (SQLite gives the largest id plus one) come after the range. It records the
  ranges in `staged_import`, in the same transaction.
- While that record stands, every ORM statement of every session leaves the rows of its
  ranges out (`hide_parts`, a `do_orm_execute` hook: one small read per transaction, and
  nothing added to the statements when no import is under way). Readers and writers see the
  tables as they were before the import; a lookup of such a row by id finds nothing. The
  import also leaves a mark beside the database file (`<file>-imports/<id>`), made before
  its record commits and removed after the record is gone: a writer, which holds the write
  lock from its BEGIN IMMEDIATE and so reads the newest commit, skips the read when there
  is no mark (no import's record can have committed without one). A reader's snapshot
  begins with its first read, after such a look, so readers always read the records.
- Unique values that others could also take (an entry's number) are copied under a prefix
  naming the import (`Staging.held`) and given their own value by the last transaction.
- The last transaction does the caller's final work (numbers, audit records), gives the held
  values back and deletes the record: from its commit everyone sees every row.

A failure, a process killed between parts, or a last transaction refused as stale leaves
rows no one sees; `discard` deletes them, a part at a time, and then the record. It runs when
the import fails and, for an import whose process is gone, at the start of the next import
and at the scheduler's ticks (campaign.jobs). On a connection already in a transaction of
its caller's (the tests' bound sessions) nothing can be committed apart: the rows are copied
at once, in that transaction.

Foreign keys are not checked while the parts are copied (the ranges reference each other in
any order the parts take; the rows were built by the application itself, and reference what
the snapshot held), nor while they are deleted."""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, Text, event, not_, or_, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria
from sqlalchemy.sql.ddl import sort_tables

from core import clock, import_marks
from core.db import READ_ONLY, Base, UTCDateTime
from core.staging import PREFIX, Staging

PART_ROWS = 2000  # rows copied (or deleted) per write transaction, at first
PART_S = 0.5  # what a part should take: the next part's rows are set by the last one's time
PAUSE_S = 0.11  # after each part: SQLite's busy handler tries again every 0.1 s at most
LEASE = timedelta(minutes=10)  # a record not touched for this long is abandoned
SHOW_PARTS = "ykt_show_parts"  # execution option of a statement that sees hidden rows too
_HIDDEN = "ykt_hidden_parts"
_ACTIVE: set[int] = set()  # the imports this process is copying now

# Rows done, rows in all
Progress = Callable[[int, int], None]
Step = Callable[[Session], None]


class StagedImport(Base):
    """An import whose rows are being copied in parts: its rows are hidden while it stands."""

    __tablename__ = "staged_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    ranges: Mapped[str] = mapped_column(Text)  # JSON: table name → [first id, last id]
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime)


def _quiet(done: int, total: int) -> None:
    pass


@contextmanager
def transaction(connection: Connection, *, read_only: bool = False) -> Iterator[Session]:
    """A transaction on the connection, committed when the block ends normally. `read_only`:
    a deferred BEGIN (core.db), which takes no lock."""
    connection.execution_options(**{READ_ONLY: read_only})
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        connection.execution_options(**{READ_ONLY: False})


@contextmanager
def _unchecked_keys(connection: Connection) -> Iterator[None]:
    """Foreign keys not checked on the connection meanwhile (set between transactions, on the
    driver's connection: SQLite ignores the pragma inside a transaction)."""
    assert not connection.in_transaction()
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def copy_in_parts(
    connection: Connection,
    staging: Staging,
    finish: Step,
    *,
    progress: Progress = _quiet,
    part_rows: int | None = None,
) -> None:
    """Copy the staged rows in (SQLite), in parts, then show them with `finish` run in the
    same transaction. Raises Stale (nothing shown, nothing left) when what they were built
    on changed; on any failure the rows copied so far are deleted again."""
    with transaction(connection, read_only=True) as session:
        counts = staging.number_all(session)
    total = sum(counts.values())
    if connection.in_transaction():  # joined to a transaction of the caller's: nothing
        with transaction(connection) as session:  # to hide from, nothing committed apart
            _copy_at_once(session, staging, finish)
        progress(total, total)
        return
    part_rows = part_rows or PART_ROWS
    import_id: int | None = None
    try:
        with _unchecked_keys(connection):
            with transaction(connection) as session:
                import_id = _first_part(session, staging)
            done = len(staging.filled)
            progress(done, total)
            for table in sort_tables(staging.filled):
                first, last = staging.staged_range(table.name)
                rows = part_rows
                start = first
                while start < last:  # the last row went in first
                    time.sleep(PAUSE_S)
                    end = min(start + rows - 1, last - 1)
                    began = time.monotonic()
                    with transaction(connection) as session:
                        staging.copy_part(session, table, start, end, import_id)
                        _touch(session, import_id)
                    rows = _next_rows(rows, time.monotonic() - began, part_rows)
                    done += end - start + 1
                    start = end + 1
                    progress(done, total)
            time.sleep(PAUSE_S)
            with transaction(connection) as session:
                for step in staging.finish:
                    step(session)
                staging.give_back_held(session, import_id)
                finish(session)
                session.execute(text("DELETE FROM staged_import WHERE id = :id"), {"id": import_id})
            import_marks.unmark(connection, import_id)
    except BaseException:
        if import_id is not None:
            discard(connection, import_id)
        raise
    finally:
        if import_id is not None:
            _ACTIVE.discard(import_id)


def _copy_at_once(session: Session, staging: Staging, finish: Step) -> None:
    """The copy in the caller's transaction (a savepoint of it): whole tables, the referenced
    first, foreign keys checked."""
    for check in staging.checks:
        check(session)
    staging.claim(session)
    for table in sort_tables(staging.filled):
        staging.copy_part(session, table, *staging.staged_range(table.name), 0)
    for step in staging.finish:
        step(session)
    staging.give_back_held(session, 0)
    finish(session)


def _next_rows(rows: int, took: float, first: int) -> int:
    """The rows of the next part of a table, for it to take about PART_S (a table's rows
    cost alike: a case holds its workflow's state, a notice a line), within a quarter and
    eight times the first part's."""
    if PART_S <= 0:
        return rows
    return max(first // 4, min(first * 8, int(rows * PART_S / max(took, 0.001))))


def _first_part(session: Session, staging: Staging) -> int:
    for check in staging.checks:
        check(session)
    ranges = staging.claim(session)
    record = StagedImport(
        # Never an id an import had before (SQLite gives the largest id plus one, again once
        # the table is empty): the import's mark is named by it, and a finished import's
        # late removal of its mark must not remove a new import's.
        id=secrets.randbits(52) + 1,
        ranges=json.dumps(ranges),
        host=socket.gethostname(),
        pid=os.getpid(),
        touched_at=clock.now(),
    )
    session.add(record)
    session.flush()
    _ACTIVE.add(record.id)  # before it commits: a clean-up of this process leaves it alone
    import_marks.mark(session.connection(), record.id)  # before it commits, for the writers
    try:
        for table in sort_tables(staging.filled):
            last = staging.staged_range(table.name)[1]
            staging.copy_part(session, table, last, last, record.id)
    except BaseException:
        import_marks.unmark(session.connection(), record.id)  # its record is rolled back
        raise
    return record.id


def _touch(session: Session, import_id: int) -> None:
    session.execute(
        update(StagedImport).where(StagedImport.id == import_id).values(touched_at=clock.now())
    )


def discard(connection: Connection, import_id: int) -> None:
    """Delete the rows of an import copied in part (they are hidden while its record
    stands), a part at a time, then the record."""
    with transaction(connection, read_only=True) as session:
        found = session.scalar(
            text("SELECT ranges FROM staged_import WHERE id = :id"), {"id": import_id}
        )
    if found is None:
        import_marks.unmark(connection, import_id)
        return
    with _unchecked_keys(connection):
        for name, (first, last) in json.loads(found).items():
            start, rows = first, PART_ROWS
            while start <= last:
                end = min(start + rows - 1, last)
                began = time.monotonic()
                with transaction(connection) as session:
                    session.execute(
                        text(f'DELETE FROM main."{name}" WHERE id BETWEEN :a AND :b'),  # noqa: S608
                        {"a": start, "b": end},
                    )
                rows = _next_rows(rows, time.monotonic() - began, PART_ROWS)
                start = end + 1
                time.sleep(PAUSE_S)
        with transaction(connection) as session:
            session.execute(text("DELETE FROM staged_import WHERE id = :id"), {"id": import_id})
    import_marks.unmark(connection, import_id)


def discard_abandoned(connection: Connection) -> list[int]:
    """Discard the imports whose process is gone (or untouched for LEASE): what a killed
    import left. Returns their ids."""
    if connection.dialect.name != "sqlite":
        return []
    with transaction(connection, read_only=True) as session:
        records = session.execute(text("SELECT id, host, pid, touched_at FROM staged_import")).all()
    abandoned = [
        ident for ident, host, pid, touched in records if _abandoned(ident, host, pid, touched)
    ]
    for ident in abandoned:
        discard(connection, ident)
    _unmark_unrecorded(connection)
    return abandoned


def _unmark_unrecorded(connection: Connection) -> None:
    """Remove the marks of imports with no record (a process killed before its first part
    committed). Under the write lock: no import is then between its mark and its commit."""
    marks = import_marks.marks_of(connection)
    if marks is None or not marks.exists():
        return
    with transaction(connection) as session:
        recorded = {str(ident) for ident in session.scalars(text("SELECT id FROM staged_import"))}
        for each in marks.iterdir():
            if each.name not in recorded:
                each.unlink(missing_ok=True)


def _abandoned(ident: int, host: str, pid: int, touched: Any) -> bool:
    if ident in _ACTIVE:
        return False
    if isinstance(touched, str):
        touched = datetime.fromisoformat(touched)
    if touched.tzinfo is None:
        touched = touched.replace(tzinfo=clock.now().tzinfo)
    if clock.now() - touched > LEASE:
        return True
    if host != socket.gethostname():
        return False
    if pid == os.getpid():
        return True  # not among this process's imports under way
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# -- what everyone sees while parts are copied ----------------------------------------------


@event.listens_for(Session, "do_orm_execute")
def hide_parts(state: ORMExecuteState) -> None:
    """Leave the rows of imports under way out of every ORM statement (SQLite)."""
    if state.is_column_load or state.execution_options.get(SHOW_PARTS):
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    hidden = _hidden(state.session)
    if not hidden:
        return
    options = []
    for mapper in Base.registry.mappers:
        ranges = hidden.get(getattr(mapper.local_table, "name", ""))
        if ranges:
            entity = mapper.class_
            options.append(
                with_loader_criteria(
                    entity,
                    not_(_any_between(entity.id, ranges)),
                    include_aliases=True,
                )
            )
    if options:
        state.statement = state.statement.options(*options)


def _any_between(column: Any, ranges: list[tuple[int, int]]) -> Any:
    return or_(*(column.between(first, last) for first, last in ranges))


def _hidden(session: Session) -> dict[str, list[tuple[int, int]]]:
    """The ranges hidden in this transaction: read once, in its snapshot."""
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        return {}
    connection = session.connection()
    transaction = session.get_transaction()
    cached = session.info.get(_HIDDEN)
    if cached is not None and cached[0] is transaction:
        found: dict[str, list[tuple[int, int]]] = cached[1]
        return found
    found = {}
    writer = not connection.get_execution_options().get(READ_ONLY)
    if writer and not import_marks.any_marked(connection):  # and so no import under way
        session.info[_HIDDEN] = (transaction, found)
        return found
    try:
        rows = connection.exec_driver_sql("SELECT ranges FROM staged_import").all()
    except OperationalError:  # a database not yet upgraded
        rows = []
    for (ranges,) in rows:
        for name, (first, last) in json.loads(ranges).items():
            found.setdefault(name, []).append((first, last))
    session.info[_HIDDEN] = (transaction, found)
    return found


__all__ = ["PREFIX", "StagedImport", "copy_in_parts", "discard", "discard_abandoned", "hide_parts"]
