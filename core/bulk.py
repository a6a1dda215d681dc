"""Inserting many rows of one table at once (imports): the fastest way each database offers.

The rows' values are taken and converted as SQLAlchemy's column types would (UTC times,
dates, Python-side defaults) and handed to the driver directly. On PostgreSQL that is COPY:
a multi-row INSERT there had psycopg rewrite a statement with one parameter per value and
the server plan a long VALUES list, about a third of an import's time. On SQLite it is the
driver's executemany: through SQLAlchemy's ORM bulk insert the same rows cost three times
as much in Python, and asking for their ids (RETURNING, in order) ran one statement a row.
When the caller needs the new ids, they are reserved first (`reserve_ids`), so the rows get
them in order, as with INSERT ... RETURNING."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Table, func, select, text
from sqlalchemy.orm import Session

from core import sent_later
from core.staged_parts import SHOW_PARTS
from core.staging import staging_of
from core.write_behind import writer_of

# Ids reserved ahead, per table, while writing behind (core.write_behind): a reservation is
# a statement, which waits for the queued COPYs; one in this many rows does.
ID_POOL = 10_000


def writes_in_place(session: Session) -> bool:
    """Whether the session's statements write to the tables themselves: not staged for a copy
    (core.staging) nor gathered by a writer behind it (core.write_behind), whose rows a
    statement of its own (an INSERT ... SELECT) would not see."""
    return staging_of(session) is None and writer_of(session) is None


def insert_rows(session: Session, model: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert the rows (dicts of column values; Python-side defaults fill the rest)."""
    if rows:
        _insert(session, model.__table__, rows, ids=None)


def reserve_ids(session: Session, model: Any, count: int) -> list[int]:
    """Ids for `count` new rows, ascending, for rows that must be known by id before they
    are inserted (a case that names its entry, inserted before the entry that names it).

    PostgreSQL takes them from the table's sequence. On SQLite the transaction holds the
    write lock from its first statement (BEGIN IMMEDIATE, core.db), so the ids after the
    largest one are free until this transaction inserts into the table; the caller inserts
    its rows with these ids before anything else inserts there. A staged session
    (core.staging) takes them after the largest its snapshot saw; the copy moves them."""
    if count <= 0:
        return []
    if (staging := staging_of(session)) is not None:
        return staging.reserve(session, model.__table__, count)
    if session.get_bind().dialect.name == "postgresql":
        if writer_of(session) is None:
            return _next_values(session, model.__table__, count)
        return _from_pool(session, model.__table__, count)
    # Rows of an import being copied in parts count too, hidden as they are (core.staged_parts).
    largest = session.scalar(select(func.max(model.id)).execution_options(**{SHOW_PARTS: True}))
    largest = largest or 0
    return list(range(largest + 1, largest + 1 + count))


def insert_returning_ids(
    session: Session, model: Any, rows: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Insert the rows; returns their new ids, in the rows' order."""
    if not rows:
        return []
    ids = reserve_ids(session, model, len(rows))
    _insert(session, model.__table__, rows, ids=ids)
    return ids


def _next_values(session: Session, table: Table, count: int) -> list[int]:
    """The next `count` values of the table's id sequence, ascending."""
    query = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
    return sorted(session.scalars(query, {"table": table.name, "n": count}))


def _from_pool(session: Session, table: Table, count: int) -> list[int]:
    """`count` ids of the table's sequence, from those reserved ahead (refilled with a
    statement when short). Ids left in the pool at the end are never used: the sequence's
    gaps, as a rolled-back insert leaves them."""
    pools: dict[str, list[int]] = session.info.setdefault("bulk_id_pool", {})
    pool = pools.setdefault(table.name, [])
    if len(pool) < count:
        pool += _next_values(session, table, max(count - len(pool), ID_POOL))
    taken, pool[:] = pool[:count], pool[count:]
    return taken


def _insert(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], ids: list[int] | None
) -> None:
    dialect = session.get_bind().dialect
    columns, values = _values(table, rows, ids, dialect)
    session.flush()  # rows added to the session go first, as an INSERT through it would
    if dialect.name != "postgresql":
        staging = staging_of(session)
        target = staging.target(session, table) if staging is not None else None
        _executemany(session, table, columns, values, target)
        return
    copy = _copy(session, table, columns, values)
    writer = writer_of(session)
    if writer is None:
        copy()
    else:
        writer.submit(table.name, copy)


def _copy(
    session: Session, table: Table, columns: list[Column[Any]], values: Iterator[list[Any]]
) -> Callable[[], None]:
    """The COPY of the rows, to run now or on the writer's thread (what it needs from the
    session is taken here). COPY in binary: the values go as the columns' binary forms,
    with nothing to escape on the way out or to parse on the way in. For 20,000 case rows
    (4 KB of state each) that took the client 0.06 s instead of 0.29 s and the server
    0.35 s instead of 0.69 s."""
    # Imported here: a SQLite installation never loads the PostgreSQL driver.
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    known = _column_types(session, table)
    types = [known[c.name] for c in columns]
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None

    def run() -> None:
        sent_later.send_now(connection)  # the COPY goes around SQLAlchemy: after them
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(types)
            for row in values:
                copy.write_row(row)

    return run


def _column_types(session: Session, table: Table) -> dict[str, int]:
    """The type (oid) of each column of the table as the database has it, for the binary
    form of its values; read once per session."""
    known: dict[str, dict[str, int]] = session.info.setdefault("bulk_column_types", {})
    if table.name not in known:
        found = session.execute(
            text(
                "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = "
                "CAST(:table AS regclass) AND attnum > 0 AND NOT attisdropped"
            ),
            {"table": table.name},
        )
        known[table.name] = {name: int(oid) for name, oid in found}
    return known[table.name]


def _executemany(
    session: Session,
    table: Table,
    columns: list[Column[Any]],
    values: Iterator[list[Any]],
    target: str | None = None,
) -> None:
    """The driver's executemany, through SQLAlchemy's connection: its errors stay
    SQLAlchemy's, and nothing is compiled or processed per row. `target`: the staged
    table (core.staging) the rows go to instead of the table."""
    quote = session.get_bind().dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in columns)
    marks = ", ".join("?" for _ in columns)
    # The names come from the table's metadata, the values go as parameters.
    into = target or quote(table.name)
    statement = f"INSERT INTO {into} ({names}) VALUES ({marks})"  # noqa: S608
    session.connection().exec_driver_sql(statement, [tuple(row) for row in values])


def _values(
    table: Table, rows: Sequence[Mapping[str, Any]], ids: list[int] | None, dialect: Any
) -> tuple[list[Column[Any]], Iterator[list[Any]]]:
    """The columns to write and each row's values for them, converted as the column types
    would convert them on INSERT (the driver is handed them directly)."""
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
    converting = [
        (index, _remembered(to_db))
        for index, column in enumerate(from_rows)
        if (to_db := _converter(column, dialect)) is not None
    ]
    defaults = [_default(c, dialect) for c in defaulted]
    picked = _picker([c.key for c in from_rows])

    def each() -> Iterator[list[Any]]:
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
            yield values

    return columns, each()


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
