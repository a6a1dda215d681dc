"""Loading tables without their indexes and constraints (PostgreSQL), as a restore does.

Filling a table and then building each index sorts once; inserting ten million rows into half
a dozen indexes and checking a foreign key per row costs several times as much. The indexes,
unique and foreign key constraints of the tables are read from the catalogue, dropped, and
made again exactly as they were after the load, in the same transaction: a load that fails
rolls back with them in place. On SQLite nothing is set aside (small loads only)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

_CONSTRAINTS = text(
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype "
    "FROM pg_constraint WHERE conrelid = ANY(CAST(:tables AS regclass[])) "
    "AND contype IN ('f', 'u') ORDER BY contype, conname"
)
_INDEXES = text(
    "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
    "WHERE indrelid = ANY(CAST(:tables AS regclass[])) AND NOT indisprimary "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid) "
    "ORDER BY 1"
)


def _quoted(session: Session, name: str) -> str:
    return session.get_bind().dialect.identifier_preparer.quote(name)


@contextmanager
def set_aside(session: Session, tables: Sequence[str]) -> Iterator[None]:
    """Drop the tables' secondary indexes, unique and foreign key constraints for the block,
    then make them again (which checks every row against them)."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    names = list(tables)
    constraints = list(session.execute(_CONSTRAINTS, {"tables": names}))
    indexes = list(session.execute(_INDEXES, {"tables": names}))
    # Foreign keys go first (one may rest on a unique constraint), come back last.
    for table, name, _definition, _kind in constraints:
        session.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {_quoted(session, name)}"))
    for name, _definition in indexes:
        session.execute(text(f"DROP INDEX {name}"))
    yield
    for _name, definition in indexes:
        session.execute(text(definition))
    for table, name, definition, _kind in sorted(constraints, key=lambda c: c[3] == "f"):
        session.execute(
            text(f"ALTER TABLE {table} ADD CONSTRAINT {_quoted(session, name)} {definition}")
        )
