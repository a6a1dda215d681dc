"""Inserting many rows of one table at once (imports): the fastest way each database offers.

On SQLite a multi-row INSERT (SQLAlchemy's executemany) is already quick. On PostgreSQL it
sends one statement with a parameter per value, which psycopg rewrites in Python and the
server plans as a long VALUES list: about a third of an import's time. COPY avoids both;
when the caller needs the new ids, they are taken from the table's sequence first, so the
rows get them in order, as with INSERT ... RETURNING."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Table, func, insert, select, text
from sqlalchemy.orm import Session


def insert_rows(session: Session, model: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the rows (dicts of column values; Python-side defaults fill the rest)."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, model.__table__, rows, ids=None)
    else:
        session.execute(insert(model), list(rows))


def reserve_ids(session: Session, model: Any, count: int) -> list[int]:
    """Ids for `count` new rows, ascending, for rows that must be known by id before they
    are inserted (a case that names its entry, inserted before the entry that names it).

    PostgreSQL takes them from the table's sequence. On SQLite the transaction holds the
    write lock from its first statement (BEGIN IMMEDIATE, core.db), so the ids after the
    largest one are free until this transaction inserts into the table; the caller inserts
    its rows with these ids before anything else inserts there."""
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return _next_values(session, model.__table__, count)
    largest = session.scalar(select(func.max(model.id))) or 0
    return list(range(largest + 1, largest + 1 + count))


def insert_returning_ids(
    session: Session, model: Any, rows: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Insert the rows; returns their new ids, in the rows' order."""
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        returning = insert(model).returning(model.id, sort_by_parameter_order=True)
        return list(session.scalars(returning, list(rows)))
    table: Table = model.__table__
    ids = _next_values(session, table, len(rows))
    _copy(session, table, rows, ids=ids)
    return ids


def _next_values(session: Session, table: Table, count: int) -> list[int]:
    """The next `count` values of the table's id sequence, ascending."""
    query = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
    return sorted(session.scalars(query, {"table": table.name, "n": count}))


def _copy(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], ids: list[int] | None
) -> None:
    # Imported here: a SQLite installation never loads the PostgreSQL driver.
    from psycopg import sql

    given = set(rows[0])
    columns = [
        c
        for c in table.columns
        if c.key in given or c.default is not None or (c.key == "id" and ids is not None)
    ]
    dialect = session.get_bind().dialect
    # COPY bypasses SQLAlchemy's types: convert each value as its column type would on INSERT.
    convert = [_converter(c, dialect) for c in columns]
    defaults = [_default(c) for c in columns]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    session.flush()  # rows added to the session go first, as an INSERT through it would
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for index, row in enumerate(rows):
            values = []
            for column, to_db, default in zip(columns, convert, defaults, strict=True):
                if column.key == "id" and ids is not None:
                    value: Any = ids[index]
                elif column.key in row:
                    value = row[column.key]
                else:
                    value = default()
                values.append(to_db(value) if to_db is not None and value is not None else value)
            copy.write_row(values)


def _converter(column: Column[Any], dialect: Any) -> Callable[[Any], Any] | None:
    processor: Callable[[Any], Any] | None = column.type.bind_processor(dialect)
    return processor


def _default(column: Column[Any]) -> Callable[[], Any]:
    """The column's Python-side default (a value or a function of no arguments)."""
    default = column.default
    if default is None:
        return lambda: None
    arg = getattr(default, "arg", None)
    if getattr(default, "is_callable", False):
        return lambda: arg(None)  # type: ignore[misc]  # SQLAlchemy wraps it to take a context
    return lambda: arg
