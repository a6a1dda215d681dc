"""One transaction per request: views use `session()`; the request boundary commits.

On SQLite a GET or HEAD begins its transaction deferred (a plain BEGIN), which in WAL mode
reads a snapshot and waits for no writer, so pages answer while an import or another
request holds the write lock; every other method takes the write lock when it begins
(BEGIN IMMEDIATE), so a request that writes never has to upgrade a read to a write. A GET
that does write (a login session's last-seen time, a download's audit record) upgrades;
when that meets another writer SQLite refuses at once ("database is locked": the snapshot
it read may be stale), and the request is run again from the start with BEGIN IMMEDIATE.
Nothing of the first run was committed or sent.

A request commits when its view returned a response (a failed login must still count the
failure). Anything raised rolls the whole request back: the error handlers (web.errors) call
`fail()`, and so does the signal Flask sends for an unhandled exception, because Flask runs
`after_request` for the error page it builds then too."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, current_app, g, got_request_exception, request
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from core import lock_waits, outages
from core.db import READ_ONLY, Database, first_line, has_kept, take_kept, write_kept

DEFERRED_METHODS = frozenset({"GET", "HEAD"})
_IMMEDIATE = "ykt.db_immediate"  # environ: run this request with BEGIN IMMEDIATE
_RETRY = "ykt.db_retry"  # environ: the deferred run met a writer; run it again
log = logging.getLogger(__name__)


def init_app(app: Flask, database: Database) -> None:
    app.extensions["ykt_database"] = database
    app.after_request(_commit)
    app.teardown_request(_close)
    got_request_exception.connect(_on_unhandled, app, weak=False)
    if database.dialect == "sqlite":
        app.wsgi_app = RetryImmediate(app.wsgi_app)  # type: ignore[method-assign]


def database() -> Database:
    db: Database = current_app.extensions["ykt_database"]
    return db


def session() -> Session:
    if "db_session" not in g:
        g.db_session = database().sessions()
        if _deferred():
            g.db_session.connection(execution_options={READ_ONLY: True})
            g.db_deferred = True
    current: Session = g.db_session
    if g.get("db_reads_only") and not current.in_transaction():
        current.connection(execution_options={READ_ONLY: True})
    return current


def read_from_here() -> None:
    """What the request does after its change gave up waiting for the write lock
    (core.lock_waits) only reads: on SQLite from a snapshot, so that its answer (the form
    again, the menus, who is signed in) does not wait for that lock once more."""
    if database().dialect == "sqlite":
        g.db_reads_only = True


def _deferred() -> bool:
    return (
        request.method in DEFERRED_METHODS
        and not request.environ.get(_IMMEDIATE)
        and database().dialect == "sqlite"
    )


def release() -> None:
    """Commit what the request has done so far, so that its transaction holds no lock while
    the view runs long work in transactions of its own (the ledger import,
    campaign.ledger_staged). What the request does afterwards is committed at its end."""
    current: Session | None = g.get("db_session")
    if current is not None and not g.get("db_failed"):
        write_kept(current)
        current.commit()


def kept_anything() -> bool:
    """Whether this request's work kept a row aside to outlive its rollback."""
    current: Session | None = g.get("db_session")
    return current is not None and has_kept(current)


def fail() -> None:
    """Undo the request's work; nothing of it is committed, whatever answer it gets, but the
    rows kept on purpose (the audit record of a refused attempt)."""
    g.db_failed = True
    current: Session | None = g.get("db_session")
    if current is not None:
        kept = take_kept(current)
        current.rollback()
        try:
            database().run_kept(kept)
        except DBAPIError as exc:
            # It waited for a lock as long as a change does, and gave up (most likely the
            # one the request itself gave up on, core.lock_waits), or the database is out
            # of reach (core.outages): the answer still goes out.
            if outages.refusal_of(exc) is None:
                raise
            log.warning(
                "%s %s: the work kept through its refusal was not done either: %s",
                request.method,
                request.path,
                first_line(exc),
            )


def _on_unhandled(_sender: Flask, exception: BaseException, **_extra: Any) -> None:
    fail()
    if runs_again(exception):
        request.environ[_RETRY] = True


def runs_again(exception: BaseException) -> bool:
    """Whether this failure of a deferred GET or HEAD is a writer met, after which the
    request runs again with BEGIN IMMEDIATE (RetryImmediate), not a failure to answer."""
    return bool(g.get("db_deferred")) and _busy(exception)


def retrying() -> bool:
    """Whether this run of the request met a writer and is about to be run again with BEGIN
    IMMEDIATE (RetryImmediate): its error is expected, and its answer never sent."""
    return bool(request.environ.get(_RETRY))


def _busy(exception: BaseException) -> bool:
    if not isinstance(exception, OperationalError):
        return False
    code = getattr(exception.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == lock_waits.SQLITE_BUSY


StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class RetryImmediate:
    """Runs a GET or HEAD again with BEGIN IMMEDIATE when its deferred transaction could not
    become a writer. The first run's answer (the error page) is held back, never sent: a
    WSGI application calls start_response before it returns its body."""

    def __init__(self, wsgi_app: WsgiApp) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in DEFERRED_METHODS:
            return self.wsgi_app(environ, start_response)
        original = dict(environ)
        held: list[Any] = []

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            held[:] = [status, headers, exc_info]
            return _no_write

        try:
            body: Iterable[bytes] | None = self.wsgi_app(environ, hold)
        except Exception:  # propagated (TESTING, PROPAGATE_EXCEPTIONS): retried all the same
            if not environ.get(_RETRY):
                raise
            body = None
        if not environ.get(_RETRY):
            assert body is not None
            start_response(*held)
            return body
        close = getattr(body, "close", None)
        if close is not None:
            close()
        return self.wsgi_app({**original, _IMMEDIATE: True}, start_response)


def _no_write(_data: bytes) -> None:
    raise RuntimeError("the write() callable of WSGI is not supported here")


def _commit(response: Response) -> Response:
    current: Session | None = g.get("db_session")
    if current is not None and not g.get("db_failed"):
        write_kept(current)
        current.commit()
    return response


def _close(exc: BaseException | None) -> None:
    current: Session | None = g.pop("db_session", None)
    if current is not None:
        if exc is not None or g.get("db_failed"):
            current.rollback()
        current.close()
