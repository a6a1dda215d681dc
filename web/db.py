"""One transaction per request: views use `session()`; the request boundary commits.

A request commits when its view returned a response (a failed login must still count the
failure). Anything raised rolls the whole request back: the error handlers (web.errors) call
`fail()`, and so does the signal Flask sends for an unhandled exception, because Flask runs
`after_request` for the error page it builds then too."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, got_request_exception
from sqlalchemy.orm import Session

from core.db import Database, has_kept, take_kept, write_kept


def init_app(app: Flask, database: Database) -> None:
    app.extensions["ykt_database"] = database
    app.after_request(_commit)
    app.teardown_request(_close)
    got_request_exception.connect(_on_unhandled, app, weak=False)


def database() -> Database:
    db: Database = current_app.extensions["ykt_database"]
    return db


def session() -> Session:
    if "db_session" not in g:
        g.db_session = database().sessions()
    current: Session = g.db_session
    return current


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
        database().run_kept(kept)


def _on_unhandled(_sender: Flask, exception: BaseException, **_extra: Any) -> None:
    fail()


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
