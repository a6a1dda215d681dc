"""Inserting many rows of one table at once (imports): the fastest way each database offers.

On SQLite a multi-row INSERT (SQLAlchemy's executemany) is already quick. On PostgreSQL it
sends one statement with a parameter per value, which psycopg rewrites in Python and the
server plans as a long VALUES list: about a third of an import's time. COPY avoids both;
when the caller needs the new ids, they are taken from the table's sequence first, so the
rows get them in order, as with INSERT ... RETURNING."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
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
    numbered = ids is not None  # the ids given replace any in the rows
    # Columns in the order written: those the rows give, those left to their defaults, id.
    from_rows = [c for c in table.columns if c.key in given and not (numbered and c.key == "id")]
    defaulted = [
        c
        for c in table.columns
        if c.key not in given and c.default is not None and not (numbered and c.key == "id")
    ]
    columns = from_rows + defaulted + ([table.c.id] if numbered else [])
    dialect = session.get_bind().dialect
    # COPY bypasses SQLAlchemy's types: convert each value as its column type would on INSERT.
    converting = [
        (index, _remembered(to_db))
        for index, column in enumerate(columns[: len(from_rows)])
        if (to_db := _converter(column, dialect)) is not None
    ]
    defaults = [_default(c, dialect) for c in defaulted]
    picked = _picker([c.key for c in from_rows])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    session.flush()  # rows added to the session go first, as an INSERT through it would
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for index, row in enumerate(rows):
            try:
                values = picked(row)
            except KeyError:  # a row without a column the first one has: its default
                values = [row[c.key] if c.key in row else _default(c, dialect)() for c in from_rows]
            for position, to_db in converting:
                if (value := values[position]) is not None:
                    values[position] = to_db(value)
            values += [default() for default in defaults]
            if ids is not None:
                values.append(ids[index])
            copy.write_row(values)


def _picker(keys: list[str]) -> Callable[[Mapping[str, Any]], list[Any]]:
    """A row's values of the keys, as a new list (itemgetter: one call in C per row)."""
    if not keys:
        return lambda row: []
    if len(keys) == 1:
        return lambda row: [row[keys[0]]]
    get = itemgetter(*keys)
    return lambda row: list(get(row))


def _remembered(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The conversion, done once per distinct value of a COPY: a batch's rows mostly share
    their times ("now"), and converting each again was a tenth of the rows' Python time."""
    memo: dict[tuple[type, Any], Any] = {}

    def converted(value: Any) -> Any:
        try:
            key = (type(value), value)
            if key not in memo:
                memo[key] = convert(value)
            return memo[key]
        except TypeError:  # not hashable (a list, a dict)
            return convert(value)

    return converted


def _converter(column: Column[Any], dialect: Any) -> Callable[[Any], Any] | None:
    processor: Callable[[Any], Any] | None = column.type.bind_processor(dialect)
    return processor


def _default(column: Column[Any], dialect: Any) -> Callable[[], Any]:
    """The column's Python-side default (a value or a function of no arguments), converted
    as its column type would."""
    default = column.default
    if default is None:
        return lambda: None
    arg = getattr(default, "arg", None)
    to_db = _converter(column, dialect) or (lambda value: value)
    if getattr(default, "is_callable", False):
        # SQLAlchemy wraps the function to take a context
        return lambda: _none_or(to_db, arg(None))  # type: ignore[misc]
    value = _none_or(to_db, arg)
    return lambda: value


def _none_or(convert: Callable[[Any], Any], value: Any) -> Any:
    return None if value is None else convert(value)
