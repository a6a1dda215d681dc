"""Whether a pooled PostgreSQL connection is still alive, asked of the socket, not the server.

SQLAlchemy's pre-ping sends `SELECT 1` before every transaction: a round trip, 0.3-0.5 ms on
this project's machines, one of the eight a web completion waits for (docs/scale.md). A
connection the server has closed (a terminated backend, a restart, `idle_session_timeout`,
a proxy giving up) has something to read on its socket while it sits in the pool: the
server's last message and the end of the stream. A live idle connection has nothing. So a
checkout polls the socket, a system call, and asks the server only when there is something
to read; a connection that fails that question is replaced (`DisconnectionError`: the pool
connects anew and hands out the new connection).

What the poll cannot see, where a ping could, is a backend that was told to end a moment ago
and has not yet said so (`pg_terminate_backend` returns once it has signalled it), and a
connection the network dropped without a word, whose socket stays quiet until TCP gives up
on it. For the first, a transaction whose very first statement finds its connection gone
runs that statement again on a new connection (`_again_on_a_new_connection`): nothing of the
transaction was done, so nothing is lost or done twice; a later statement's failure is the
transaction's, as it always was. For the second, the connections ask for keepalives
(`KEEPALIVES`), which make the kernel notice within about two minutes, and the pool replaces
connections after half an hour anyway."""

from __future__ import annotations

import select
from typing import Any
from weakref import WeakSet

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, Result
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

# libpq's parameters: probe an idle connection after 60 s, every 10 s, give up after 6.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 60,
    "keepalives_interval": 10,
    "keepalives_count": 6,
}
_READABLE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP | select.POLLNVAL


_SENT = "ykt_sent"  # Connection.info: whether its transaction has sent a statement yet
_CONNECTION = "ykt_connection"  # Session.info: its transaction's connection
_CHECKED: WeakSet[Engine] = WeakSet()  # engines whose connections are checked here


def install(engine: Engine) -> None:
    """Check `engine`'s connections (psycopg) at checkout; the caller turns pre-ping off."""
    event.listen(engine.pool, "checkout", check_alive)
    _CHECKED.add(engine)
    event.listen(engine, "begin", _nothing_sent)
    event.listen(engine, "before_cursor_execute", _sent)


def check_alive(driver: Any, _record: Any, _proxy: Any) -> None:
    """Raise `DisconnectionError` for a connection that is closed or that the server has
    closed; say nothing to the server when the socket is quiet."""
    if driver.closed or driver.broken:
        raise DisconnectionError("数据库连接已关闭")
    try:
        poller = select.poll()  # not select.select: a busy server's sockets pass 1024
        poller.register(driver.fileno(), _READABLE)
        quiet = not poller.poll(0)
    except (OSError, ValueError) as exc:
        raise DisconnectionError(f"数据库连接不可用：{exc}") from exc
    if quiet:
        return
    # Something came while it was idle: the server's farewell, or something harmless (a
    # notification). The server's answer to a question tells which.
    try:
        driver.execute("SELECT 1")
        driver.rollback()  # the question opened a transaction; the checkout wants none
    except psycopg.Error as exc:
        raise DisconnectionError(f"数据库连接已断开：{exc}") from exc


def _nothing_sent(connection: Connection) -> None:
    connection.info[_SENT] = False


def _sent(connection: Connection, *_statement: Any) -> None:
    connection.info[_SENT] = True  # a SAVEPOINT, a write kept for later: all count


@event.listens_for(Session, "after_begin")
def _remember_connection(session: Session, _transaction: Any, connection: Connection) -> None:
    session.info[_CONNECTION] = connection


@event.listens_for(Session, "after_transaction_end")
def _forget_connection(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the transaction itself, not a savepoint in it
        session.info.pop(_CONNECTION, None)


@event.listens_for(Session, "do_orm_execute")
def _again_on_a_new_connection(state: ORMExecuteState) -> Result[Any] | None:
    """The transaction's first statement, when its connection turns out to be gone, run
    again on a new one (a session of an engine whose connections this module checks)."""
    session = state.session
    engine = session.bind
    if not isinstance(engine, Engine) or engine not in _CHECKED:
        return None  # SQLite, or a session on a connection its caller holds
    held = session.info.get(_CONNECTION)
    if held is not None and held.info.get(_SENT, True):
        return None  # not the first: its failure is the transaction's
    if session.new or session.dirty or session.deleted:
        # What the session holds unflushed goes first (the statement's autoflush), and the
        # rollback before running it again would expunge or expire it: the commit would
        # then go through without it. Its loss stays the transaction's failure.
        return None
    options = held.get_execution_options() if held is not None else None
    try:
        return state.invoke_statement()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    session.rollback()  # of nothing: the pool has let the dead connection go
    if options:
        session.connection(execution_options=dict(options))
    return state.invoke_statement()
