"""How long a change waits for a record another transaction holds, and what it is told when
it gave up.

Both databases wait for another transaction's lock: SQLite for the write lock (busy_timeout),
PostgreSQL for a row or table lock (lock_timeout; by default it would wait for ever, and a
web process's thread with it). Past the wait, or when PostgreSQL ends a deadlock by failing
one of its transactions, the statement fails with an error the driver names by a code. That
failure is not the person's, and nothing of the work was done: the boundaries answer it
with `core.errors.Busy` (503, "try again in a moment"), a form's page with every input kept,
instead of the 500 of a bug."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from core.errors import Busy

# Long enough for any change of the service to end (a completion takes milliseconds; a
# ledger import commits in batches of a few seconds), short enough that a stuck transaction
# does not hold a web process's thread past a proxy's timeout (commonly 60 s).
LOCK_WAIT_SECONDS = 30.0

SQLITE_BUSY = 5  # the database file is locked by another connection
SQLITE_LOCKED = 6  # a table is locked by another statement of the same connection

WAITED_TOO_LONG = "有其他人正在修改同一记录，等待超时：本次操作未保存，请稍后重试"
COLLIDED = "与他人同时进行的操作相互冲突：本次操作未保存，请重试"
CANCELED = "数据库处理超时或被中止：本次操作未保存，请稍后重试"

# PostgreSQL's SQLSTATE of each way a statement gives up for another transaction's sake.
_POSTGRESQL = {
    "55P03": WAITED_TOO_LONG,  # lock_not_available: lock_timeout passed
    "40P01": COLLIDED,  # deadlock_detected: this transaction was chosen to end it
    "40001": COLLIDED,  # serialization_failure
    "57014": CANCELED,  # query_canceled: statement_timeout, or an administrator's cancel
}


def postgresql_options(seconds: float, given: str = "") -> str:
    """The connection's startup options that make its statements wait `seconds` for a lock,
    followed by the options `given` (the address's or PGOPTIONS: libpq takes one or the
    other, and these replace both), which therefore still apply and may set their own."""
    return f"-c lock_timeout={max(1, round(seconds * 1000))} {given}".strip()


def sqlite_busy_milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def busy_error(error: BaseException) -> Busy | None:
    """The refusal to give for a database error that only says another transaction was in
    the way; None for any other error (a bug, a lost connection: a 500 as before)."""
    if not isinstance(error, DBAPIError):
        return None
    original = error.orig
    state = getattr(original, "sqlstate", None)
    if isinstance(state, str):
        message = _POSTGRESQL.get(state)
        return Busy(message) if message else None
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED):
        return Busy(WAITED_TOO_LONG)
    return None
