"""Staging a long store on SQLite: rows built beside the database, copied in one short write.

SQLite has one writer at a time, and a write transaction holds the lock from its start to
its commit. An import that builds and inserts 100,000 entries in one write transaction kept
every other writing request waiting for its whole length (about 50 s), past their busy
timeout. Staged, the rows go to temporary tables of the importing connection while it only
reads the database (a deferred transaction: a snapshot, no lock); then one write transaction
checks that what the rows were built on still holds, and copies them in with INSERT ...
SELECT. Other writers wait only for that copy.

Temporary tables belong to the connection: a failure or a killed process leaves nothing in
the database, and the copy is one transaction, so the rows appear all together or not at all.

Ids: a staged table's new rows are numbered after the largest id the snapshot saw. Other
writers may insert meanwhile; the copy then moves the staged ids up by what was inserted
(the same offset for the columns that reference them), unless the table is `fixed` (its
ids were written into data the copy cannot change): then the copy is refused (`Stale`) and
the caller builds again. The caller's own checks and final work (numbers, audit records)
run in the copy's transaction, before and after the rows go in."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import Table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.ddl import sort_tables

_KEY = "staging"
PREFIX = "ykt_stage_"

# Work in the copy's transaction, given its session.
Step = Callable[[Session], None]


class Stale(Exception):
    """What the staged rows were built on changed before they could be copied in."""


class Staging:
    """The staged tables of one connection and what their copy must check and do."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}
        self.base: dict[str, int] = {}  # the largest id the snapshot saw, per table
        self.next_id: dict[str, int] = {}
        self.fixed: set[str] = set()
        self.checks: list[Step] = []  # before the copy; raise Stale when stale
        self.finish: list[Step] = []  # after the copy

    def attach(self, session: Session) -> None:
        """Bulk inserts of this session (core.bulk) go to the staged tables from now on."""
        session.info[_KEY] = self

    def target(self, session: Session, table: Table) -> str:
        """The staged table for `table`'s rows, made on first use."""
        if table.name not in self.tables:
            name = PREFIX + table.name
            session.execute(text(f'DROP TABLE IF EXISTS temp."{name}"'))
            empty = f'SELECT * FROM main."{table.name}" WHERE 0'  # noqa: S608 (metadata's name)
            session.execute(text(f'CREATE TEMP TABLE "{name}" AS {empty}'))
            self.tables[table.name] = table
            self._base(session, table)
        return f'temp."{PREFIX}{table.name}"'

    def reserve(self, session: Session, table: Table, count: int) -> list[int]:
        self.target(session, table)
        first = self.next_id[table.name]
        self.next_id[table.name] = first + count
        return list(range(first, first + count))

    def _base(self, session: Session, table: Table) -> None:
        largest = _largest(session, table.name)
        self.base[table.name] = largest
        self.next_id[table.name] = largest + 1

    def copy(self, session: Session) -> dict[str, int]:
        """In the write transaction: the checks, the rows in (ids moved past what others
        inserted meanwhile), the final work. Returns the rows copied per table."""
        for check in self.checks:
            check(session)
        offsets = {}
        for name in self.tables:
            largest = _largest(session, name)
            offsets[name] = max(0, largest - self.base[name])
            if offsets[name] and name in self.fixed:
                raise Stale(f"{name}: {largest - self.base[name]} rows inserted meanwhile")
        copied = {}
        for table in sort_tables(self.tables.values()):  # referenced tables first
            name = table.name
            columns = [column.name for column in table.columns]
            moved = _moved(table, offsets)
            values = ", ".join(f'"{c}" + {moved[c]}' if moved.get(c) else f'"{c}"' for c in columns)
            names = ", ".join(f'"{c}"' for c in columns)
            # The names come from the table's metadata and the offsets are integers. No
            # ORDER BY: a staged table is read in the order written, which is the ids' (they
            # were reserved ascending), and sorting it went through a temporary b-tree.
            result = session.execute(
                text(
                    f'INSERT INTO main."{name}" ({names}) '  # noqa: S608
                    f'SELECT {values} FROM temp."{PREFIX}{name}"'
                )
            )
            copied[name] = result.rowcount  # type: ignore[attr-defined]
        for step in self.finish:
            step(session)
        return copied

    def drop(self, session: Session) -> None:
        for name in self.tables:
            session.execute(text(f'DROP TABLE IF EXISTS temp."{PREFIX}{name}"'))


def _largest(session: Session, name: str) -> int:
    """The largest id of a table of the database (the name is the metadata's)."""
    return session.scalar(text(f'SELECT max(id) FROM main."{name}"')) or 0  # noqa: S608


def _moved(table: Table, offsets: Mapping[str, int]) -> dict[str, int]:
    """How far each column's values move: the id by its table's offset, a reference to a
    staged table by that table's."""
    moved = {"id": offsets[table.name]}
    for column in table.columns:
        for key in column.foreign_keys:
            target = key.column.table.name
            if target in offsets:
                moved[column.name] = offsets[target]
    return moved


def staging_of(session: Session) -> Staging | None:
    found: Staging | None = session.info.get(_KEY)
    return found
