"""Writes whose answer nobody waits for, sent with the next statement on PostgreSQL.

A completion writes about eight rows (the event, the case's state, the finished task, the
entry, ...) and reads back from few of them. Sent one by one, each write waits a round trip
to the server: on a machine whose database sleeps between statements, 0.3-0.5 ms each, a
third of a completion at province size (docs/scale.md). A write made with `write_later` is
instead kept on the connection and sent, in the driver's pipeline mode, together with the
next statement of the transaction, or with its COMMIT: one round trip for all of them.

The order of statements is kept, so every later statement (a read, a savepoint's rollback)
sees the writes as if they had gone at once; a rollback discards those not sent, which it
would have undone. What changes is when a failing write is reported: with the statement
that carried it (the error names that statement), or by the commit. So only writes that are
not expected to fail as a rule (no conflict a caller tells the user about) go this way, and
nothing reads their row count. SQLite has no round trips to save: there the write is
executed at once, by the same call.

Code that talks to the driver itself (a COPY) calls `send_now` first."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary, WeakSet

from sqlalchemy import bindparam, event, insert, inspect, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import MANYTOONE, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.util import immutabledict

from core import later_sql

_LATER = "ykt_write_later"  # execution option of a statement to send with the next one
_LATER_OPTIONS = {_LATER: True}
_IDLE = 0  # libpq's PQTRANS_IDLE: no transaction open on the connection
_INERROR = 3  # libpq's PQTRANS_INERROR: the transaction failed, its COMMIT would roll back

# The writes not yet sent, by the driver's connection they wait on (one thread uses a
# connection at a time; a connection dropped by the pool takes its list with it).
Kept = list[tuple[str, Any]]
_kept: WeakKeyDictionary[Any, Kept] = WeakKeyDictionary()
_at_once: WeakSet[Any] = WeakSet()  # connections whose writes go when made (at_once)
# The dialects of the engines whose statements carry kept writes (install): on another
# engine nothing would ever send a write kept there.
_carried: WeakSet[Any] = WeakSet()
# The error of kept writes that failed, and the first of them, until the transaction ends: a
# caller may take it for the error of what carried them (a savepoint's own conflict).
_failed: WeakKeyDictionary[Any, tuple[Exception, tuple[str, Any]]] = WeakKeyDictionary()


def write_later(session: Session, statement: Any, params: Mapping[str, Any] | None = None) -> None:
    """Execute a write whose result (rows, row count) is not wanted: on PostgreSQL it goes
    with the transaction's next statement. An INSERT must not fetch its key (`.inline()`).
    What the session holds unflushed goes first, as `session.execute` would send it (an
    INSERT ... SELECT must see it), unless autoflush is off there. The statement is one
    built once (core.later_sql compiles it once, by its identity)."""
    if session.autoflush:
        session.flush()
    connection = session.connection()
    if not _kept_as_made(connection, statement, params):
        connection.execute(statement, params, execution_options=_LATER_OPTIONS)


class _KeptContext:
    """What the statement listeners are given for a write kept without an execution: they
    ask only whether it was kept (`is_later`). One for each write, as an execution's
    context is: a listener may note things on it."""

    def __init__(self) -> None:
        self.execution_options = _KEPT_OPTIONS
        self.executemany = False


_KEPT_OPTIONS = immutabledict(_LATER_OPTIONS)


def _kept_as_made(connection: Connection, statement: Any, params: Mapping[str, Any] | None) -> bool:
    """Keep the write for the next statement without executing it through SQLAlchemy
    (core.later_sql), telling the statement listeners as an execution would; False when it
    must be executed (an engine that does not carry them, nothing to carry it, its
    connection not usable, its statements logged, a statement the shortcut does not
    cover)."""
    if connection.dialect not in _carried or connection.invalidated or connection._echo:
        return False
    # A transaction, savepoint or transaction block no longer usable: the execution says why
    transaction = connection.get_transaction()
    if transaction is None or not transaction.is_active:
        return False
    savepoint = connection.get_nested_transaction()
    if savepoint is not None and not savepoint.is_active:
        return False  # its RELEASE failed
    block = connection._trans_context_manager
    if block is not None and not block._transaction_is_active():
        return False  # ended inside its `with`
    driver = connection.connection.driver_connection
    if driver is None or driver.autocommit or driver in _at_once or driver.closed:
        return False
    try:
        made = later_sql.driver_write(connection.dialect, statement, params)
    except Exception:  # a value or a bind refused: the execution raises it as SQLAlchemy's
        return False
    if made is None:
        return False
    sql, parameters = made
    heard = connection._has_events or connection.engine._has_events
    context = _KeptContext()
    if heard:  # as SQLAlchemy calls them: a listener may give back what is sent instead
        for listener in connection.dispatch.before_cursor_execute:
            sql, parameters = listener(connection, None, sql, parameters, context, False)
    _kept.setdefault(driver, []).append((sql, parameters))
    if heard:
        connection.dispatch.after_cursor_execute(connection, None, sql, parameters, context, False)
    return True


def is_later(context: Any) -> bool:
    """Whether the statement of this execution context is one `write_later` made (for
    counting what a request waits for)."""
    return context is not None and bool(context.execution_options.get(_LATER))


def set_later(session: Session, row: Any, values: Mapping[str, Any]) -> None:
    """Change columns of a row the session holds, written with the next statement: the
    object takes the values as what the database holds (the flush has nothing to write for
    them). Only for a row whose changes nobody else can be making meanwhile (its case locked,
    or the write lock held): a versioned row's version is bumped, not checked."""
    if session.autoflush:
        # What the session holds unflushed first, this row's own changes among them: the
        # flush checks them against the row's version as loaded, not as set here.
        session.flush()
    version = inspect(row).mapper.version_id_col
    if version is not None:  # bumped, as a flush of the row would (the version read now)
        key = inspect(row).mapper.get_property_by_column(version).key
        values = {**values, key: getattr(row, key) + 1}
    _keep_as_stored(session, row, values)


def _keep_as_stored(session: Session, row: Any, values: Mapping[str, Any]) -> None:
    table = type(row).__table__
    names = tuple(sorted(values))
    for name in names:  # taken before the write, whose flush then has nothing of them
        set_committed_value(row, name, values[name])
    # Known to the transaction as a row it changed, as a flush makes it: a savepoint rolled
    # back expires it (a case's state and lock_version are read again, not kept as undone).
    session._register_altered([inspect(row)])
    write_later(session, _update_of(table, names), {**values, "row_id": row.id})


@cache
def _update_of(table: Any, names: tuple[str, ...]) -> Any:
    """UPDATE of those columns by id, built once (building costs more than sending)."""
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({name: bindparam(name, type_=table.c[name].type) for name in names})
    )


def flush_later(session: Session, row: Any) -> None:
    """What the session would flush for the row (its changed columns, and the keys of the
    rows its changed many-to-one references name), written with the next statement
    instead, as `set_later` does. A row the flush must write itself (versioned, or a change
    of another kind of reference) is left to it."""
    state = inspect(row)
    mapper = state.mapper
    if not state.persistent or mapper.version_id_col is not None:
        return
    values: dict[str, Any] = {}
    references: dict[str, Any] = {}
    for relation in mapper.relationships:
        history = state.attrs[relation.key].history
        if relation.viewonly or not history.has_changes():
            continue  # the flush writes nothing for a read-only one either
        target = history.added[0] if history.added else None
        pairs = relation.local_remote_pairs or []
        if relation.direction is not MANYTOONE or len(pairs) != 1:
            return
        if target is not None and not inspect(target).persistent:
            return  # a row not yet inserted has no key to name
        local, remote = pairs[0]
        key = mapper.get_property_by_column(local).key
        values[key] = None if target is None else getattr(target, remote.key)
        references[relation.key] = target
    for column in mapper.column_attrs:
        history = state.attrs[column.key].history
        if history.added and column.key not in values:
            values[column.key] = history.added[0]
    for key, target in references.items():  # first, or the flush would write their keys
        set_committed_value(row, key, target)
    if values:
        _keep_as_stored(session, row, values)


def insert_later(session: Session, row: Any) -> bool:
    """Insert a new row whose key is already known, written with the next statement: the
    object becomes persistent as a flush would leave it (its columns' Python-side defaults
    filled in first), and a rollback discards it as it would a flushed one. False, leaving
    the row to the flush, when it is not such a row (no key, a server-side default)."""
    mapper = inspect(row).mapper
    table = mapper.local_table
    values: dict[str, Any] = {}
    for column_attr in mapper.column_attrs:
        [column] = column_attr.columns
        value = getattr(row, column_attr.key)
        if value is None and column.server_default is not None:
            return False
        if value is None and column.default is not None:
            if not (column.default.is_scalar or column.default.is_callable):
                return False  # a sequence, a SQL expression: the database's
            arg = column.default.arg
            value = arg(None) if column.default.is_callable else arg
            setattr(row, column_attr.key, value)
        values[column.key] = value
    if any(values.get(c.key) is None for c in table.primary_key):
        return False
    write_later(session, _insert_into(table), values)  # what the session holds goes first
    session.add(row)
    # What a flush does after its INSERT: the key, the identity map, the values as stored,
    # and the row known to the transaction as new (a rollback, a savepoint's, expunges it).
    session._register_persistent({inspect(row)})
    return True


@cache
def _insert_into(table: Any) -> Any:
    return insert(table).inline()


def send_now(connection: Connection) -> None:
    """Send the writes kept on the connection and wait for them (before using the driver
    directly)."""
    if connection.dialect.name != "postgresql":
        return  # sent when made
    _send_alone(connection, commit=False)


@contextmanager
def at_once(connection: Connection) -> Iterator[None]:
    """Within the block, writes on the connection are sent when made: another thread uses
    the driver's connection meanwhile (core.write_behind's COPYs), which cannot go inside a
    pipeline."""
    if connection.dialect.name != "postgresql":
        yield  # sent when made
        return
    send_now(connection)
    driver = connection.connection.driver_connection
    _at_once.add(driver)
    try:
        yield
    finally:
        _at_once.discard(driver)


def install(engine: Engine) -> None:
    """Keep writes on `engine`'s connections (PostgreSQL through psycopg)."""
    _carried.add(engine.dialect)
    event.listen(engine, "do_execute", _on_execute)
    event.listen(engine, "do_execute_no_params", _send_kept_first)
    event.listen(engine, "do_executemany", _send_kept_first)
    event.listen(engine, "commit", _on_commit)
    event.listen(engine, "rollback", _on_rollback)
    event.listen(engine.pool, "checkin", _on_checkin)


def _send(driver: Any, carried: tuple[Any, str, Any] | None, *, commit: bool = False) -> None:
    """The kept writes, then the carried statement on its own cursor (or the COMMIT), in one
    pipeline: the server answers them all at its end."""
    writes = _kept.pop(driver, [])
    try:
        with driver.pipeline():
            for statement, parameters in writes:
                driver.cursor().execute(statement, parameters)
            if carried is not None:
                cursor, statement, parameters = carried
                cursor.execute(statement, parameters)
            if commit:
                driver.commit()  # queued behind them; the driver's own commit then finds none
    except Exception as exc:
        if writes:
            _failed[driver] = (exc, writes[0])
        raise


def _on_execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
    driver = cursor.connection
    if (
        context is not None
        and context.execution_options.get(_LATER)
        and not driver.autocommit  # no COMMIT will come to carry it
        and driver not in _at_once
    ):
        _kept.setdefault(driver, []).append((statement, parameters))
        return True
    # A pipeline sends each statement with its parameters: a server-side cursor cannot
    # ride one, nor a text of several statements (which only goes without parameters).
    if getattr(cursor, "name", None) or not parameters:
        _send_kept_first(cursor)
        return None
    if not _kept.get(driver) and not _begins(driver):
        return None
    _send(driver, (cursor, statement, parameters))
    return True


def _begins(driver: Any) -> bool:
    """Whether the statement about to go is a transaction's first: the driver sends its
    BEGIN before it and waits for the answer, unless both go in one pipeline."""
    return not driver.autocommit and driver.pgconn.transaction_status == _IDLE


def _send_kept_first(cursor: Any, *_statement_and_context: Any) -> None:
    """The kept writes alone, before a statement that cannot ride a pipeline with them (no
    parameters, several sets of them, a server-side cursor), which then goes as usual."""
    if _kept.get(cursor.connection):
        _send(cursor.connection, None)


def _on_commit(connection: Connection) -> None:
    _send_alone(connection, commit=True)
    # Kept writes that failed with a statement whose error the caller caught as its own
    # (`except IntegrityError` around a savepoint that they failed to begin): sent at once,
    # they would have failed the transaction; its COMMIT would now roll it back unsaid.
    driver: Any = connection.connection.driver_connection
    failed = _failed.pop(driver, None)
    if failed is not None and driver.pgconn.transaction_status == _INERROR:
        raise _wrapped(*failed, driver)


def _send_alone(connection: Connection, *, commit: bool) -> None:
    """The kept writes with nothing to carry them but (maybe) the COMMIT. SQLAlchemy wraps
    the driver's errors of statements it sends, not these: they are wrapped here."""
    driver = connection.connection.driver_connection
    writes = _kept.get(driver)
    if not writes:
        return
    first = writes[0]
    try:
        _send(driver, None, commit=commit)
    except Exception as exc:
        raise _wrapped(exc, first, driver) from exc


def _wrapped(exc: Exception, first: tuple[str, Any], driver: Any) -> Exception:
    """The driver's error as SQLAlchemy's, which the callers' error model knows (the
    commit's event is outside SQLAlchemy's own wrapping), naming the first write sent, and
    saying, as SQLAlchemy's would, whether the connection broke (core.outages)."""
    import psycopg  # only PostgreSQL's engines have these events

    if isinstance(exc, psycopg.Error):
        statement, parameters = first
        lost = bool(driver.broken or driver.closed)
        return DBAPIError.instance(
            statement, parameters, exc, psycopg.Error, connection_invalidated=lost
        )
    return exc


def _on_rollback(connection: Connection) -> None:
    try:
        driver = connection.connection.driver_connection
    except Exception:  # an invalidated connection: its checkin forgets them
        return
    _forget(driver)


def _on_checkin(driver: Any, _record: Any) -> None:
    if driver is not None:
        _forget(driver)


def _forget(driver: Any) -> None:
    """The transaction ended: nothing kept or failed on the connection concerns the next."""
    _kept.pop(driver, None)
    _failed.pop(driver, None)
