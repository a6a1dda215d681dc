"""Staging a long store on SQLite: rows built beside the database, then copied in.

SQLite has one writer at a time, and a write transaction holds the lock from its start to
its commit. An import that builds and inserts 100,000 entries in one write transaction kept
every other writing request waiting for its whole length (about 50 s), past their busy
timeout. Staged, the rows go to temporary tables of the importing connection while it only
reads the database (a deferred transaction: a snapshot, no lock); then they are copied in
with INSERT ... SELECT, in parts of a few thousand rows, each a write transaction of its own,
hidden from everyone until a last short transaction shows them all (core.staged_parts).
Other writers wait for one part at most.

Temporary tables belong to the connection: a failure or a killed process while building
leaves nothing in the database; what a copy in parts left is deleted (core.staged_parts).

Ids: a staged table's new rows are numbered after the largest id the snapshot saw (rows
inserted without an id get the next ones when the copy begins, `number_all`). Other writers
may insert meanwhile; the copy then moves the staged ids up by what was inserted (the same
offset for the columns that reference them), unless the table is `fixed` (its ids were
written into data the copy cannot change): then the copy is refused (`Stale`) and the caller
builds again. The caller's checks run in the copy's first transaction; its final work
(numbers, audit records) in the last, which shows the rows."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import Table, text
from sqlalchemy.orm import Session

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
        # Unique columns (table, column) that others may take the same value of while the
        # rows are copied in parts (core.staged_parts): copied under a prefix until shown.
        self.held: set[tuple[str, str]] = set()
        self.offsets: dict[str, int] = {}
        self.ranges: dict[str, list[int]] = {}
        self.filled: list[Table] = []  # the staged tables that hold rows

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

    def number_all(self, session: Session) -> dict[str, int]:
        """Give the staged rows inserted without an id (their table's ids were not asked for)
        the ids after the reserved ones, in the order written, and index the staged tables
        by id. Returns the rows staged per table."""
        counts = {}
        for name in self.tables:
            # The names come from the table's metadata.
            staged = f'temp."{PREFIX}{name}"'
            query = f"SELECT count(*) FROM {staged} WHERE id IS NULL"  # noqa: S608
            unnumbered = session.scalar(text(query))
            if unnumbered:
                first = self.next_id[name]
                self.next_id[name] = first + unnumbered
                numbered = (
                    "SELECT rowid AS r, row_number() OVER (ORDER BY rowid) AS k "  # noqa: S608
                    f"FROM {staged} WHERE id IS NULL"
                )
                session.execute(
                    text(
                        f"UPDATE {staged} SET id = :first - 1 + numbered.k "  # noqa: S608
                        f'FROM ({numbered}) AS numbered WHERE "{PREFIX}{name}".rowid = numbered.r'
                    ),
                    {"first": first},
                )
            session.execute(text(f'CREATE INDEX temp."{PREFIX}{name}_id" ON "{PREFIX}{name}" (id)'))
            counts[name] = session.scalar(text(f"SELECT count(*) FROM {staged}")) or 0  # noqa: S608
        self.filled = [table for table in self.tables.values() if counts[table.name]]
        return counts

    def staged_range(self, name: str) -> tuple[int, int]:
        """The first and last staged id of a table (before they move)."""
        return self.base[name] + 1, self.next_id[name] - 1

    def claim(self, session: Session) -> dict[str, list[int]]:
        """In the first write transaction: how far each table's staged ids move (past what
        others inserted meanwhile; Stale for a `fixed` table), and the ranges they take."""
        self.offsets = {}
        for name in self.tables:
            largest = _largest(session, name)
            self.offsets[name] = max(0, largest - self.base[name])
            if self.offsets[name] and name in self.fixed:
                raise Stale(f"{name}: {largest - self.base[name]} rows inserted meanwhile")
        self.ranges = {}
        for name in (table.name for table in self.filled):
            first, last = self.staged_range(name)
            self.ranges[name] = [first + self.offsets[name], last + self.offsets[name]]
        return self.ranges

    def copy_part(self, session: Session, table: Table, first: int, last: int, mark: int) -> int:
        """Copy the staged rows of `table` with ids first..last (before they move) in; the
        `held` columns under the prefix `~mark~`. Returns the rows copied."""
        name = table.name
        columns = [column.name for column in table.columns]
        moved = _moved(table, self.offsets)
        held = {column for held_table, column in self.held if held_table == name}

        def value(column: str) -> str:
            if column in held:
                return f"'~{mark}~' || \"{column}\""
            return f'"{column}" + {moved[column]}' if moved.get(column) else f'"{column}"'

        values = ", ".join(value(c) for c in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        # The names come from the table's metadata; the offsets and the mark are integers.
        result = session.execute(
            text(
                f'INSERT INTO main."{name}" ({names}) '  # noqa: S608
                f'SELECT {values} FROM temp."{PREFIX}{name}" WHERE id BETWEEN :first AND :last'
            ),
            {"first": first, "last": last},
        )
        copied: int = result.rowcount  # type: ignore[attr-defined]
        return copied

    def give_back_held(self, session: Session, mark: int) -> None:
        """In the last transaction: the `held` columns' own values."""
        for name, column in sorted(self.held):
            if name in self.ranges:
                first, last = self.ranges[name]
                session.execute(
                    text(
                        f'UPDATE main."{name}" SET "{column}" = substr("{column}", :cut) '  # noqa: S608
                        "WHERE id BETWEEN :first AND :last"
                    ),
                    {"cut": len(f"~{mark}~") + 1, "first": first, "last": last},
                )

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
