"""Whether a pooled PostgreSQL connection is still alive, asked of the socket, not the server.

SQLAlchemy's pre-ping sends `SELECT 1` before every transaction: a round trip, 0.3-0.5 ms on
this project's machines, one of the eight a web completion waits for (docs/scale.md). A
connection the server has closed (a terminated backend, a restart, `idle_session_timeout`,
a proxy giving up) has something to read on its socket while it sits in the pool: the
server's last message and the end of the stream. A live idle connection has nothing. So a
checkout polls the socket, a system call, and asks the server only when there is something
to read; a connection that fails that question is replaced (`DisconnectionError`: the pool
connects anew and hands out the new connection).

What neither this nor a ping can see is a backend killed in the moment between the check
and the first statement. What the poll cannot see, where a ping could, is a connection the
network dropped without a word: its socket stays quiet until TCP gives up on it, so the
connections ask for keepalives (`KEEPALIVES`), which make the kernel notice within about
two minutes, and the pool replaces connections after half an hour anyway."""

from __future__ import annotations

import select
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

# libpq's parameters: probe an idle connection after 60 s, every 10 s, give up after 6.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 60,
    "keepalives_interval": 10,
    "keepalives_count": 6,
}
_READABLE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP | select.POLLNVAL


def install(engine: Engine) -> None:
    """Check `engine`'s connections (psycopg) at checkout; the caller turns pre-ping off."""
    event.listen(engine.pool, "checkout", check_alive)


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
