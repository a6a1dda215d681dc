"""Database errors that say the database is out of reach or out of room: a server restarting,
failing over or refusing connections, a connection lost, a disk full; SQLite's file gone or
failing. Nothing of the work was done and nothing about the request was wrong, so the
boundaries answer `core.errors.Unavailable` (503, "try again later") instead of the 500 of a
bug, as they answer a wait given up with `Busy` (core.lock_waits)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

from core import lock_waits
from core.errors import TryAgain, Unavailable

OUT_OF_REACH = "数据库暂时无法连接：本次操作未保存，请稍后重试"
OUT_OF_ROOM = "数据库存储空间或资源不足：本次操作未保存，请稍后重试或联系系统管理员"

SQLITE_IOERR = 10
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14

# PostgreSQL's SQLSTATE classes and codes of a server that cannot take the work now.
_CONNECTION_CLASS = "08"  # connection_exception
_RESOURCES_CLASS = "53"  # insufficient_resources: disk_full, out_of_memory, too_many_connections
_SHUTTING_DOWN = {"57P01", "57P02", "57P03"}  # admin_shutdown, crash_shutdown, cannot_connect_now


def unavailable_error(error: BaseException) -> Unavailable | None:
    """The refusal to give for a database error that says the database cannot do the work
    now; None for any other error."""
    if not isinstance(error, DBAPIError):
        return None
    if error.connection_invalidated:  # SQLAlchemy saw the connection end
        return Unavailable(OUT_OF_REACH)
    original = error.orig
    state = getattr(original, "sqlstate", None)
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        if code & 0xFF == SQLITE_FULL:
            return Unavailable(OUT_OF_ROOM)
        return Unavailable(OUT_OF_REACH) if code & 0xFF in (SQLITE_IOERR, SQLITE_CANTOPEN) else None
    if isinstance(state, str):
        if state.startswith(_RESOURCES_CLASS):
            return Unavailable(OUT_OF_ROOM)
        if state.startswith(_CONNECTION_CLASS) or state in _SHUTTING_DOWN:
            return Unavailable(OUT_OF_REACH)
        return None
    # psycopg's OperationalError without a SQLSTATE: the server said nothing of its own.
    # A connection that could not be made (refused, timed out; the error carries the failed
    # attempt), or one that broke mid-work (invalidated, above): the database out of reach.
    # Not a mistake of the client's on a live connection (a statement of more parameters
    # than the protocol carries): that is a bug.
    if isinstance(error, OperationalError) and _connecting(original):
        return Unavailable(OUT_OF_REACH)
    return None


def _connecting(original: BaseException | None) -> bool:
    """Whether psycopg raised this while making a connection."""
    if not type(original).__module__.startswith("psycopg"):
        return False
    import psycopg  # only PostgreSQL's errors get here

    return getattr(original, "pgconn", None) is not None or isinstance(
        original, psycopg.errors.ConnectionTimeout
    )


def refusal_of(error: BaseException) -> TryAgain | None:
    """What the person is told for a database error that is neither theirs nor a bug: a wait
    given up (core.lock_waits) or the database unavailable; None for any other error."""
    return lock_waits.busy_error(error) or unavailable_error(error)
