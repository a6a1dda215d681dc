"""One transaction per request: views use `session()`; the request boundary commits.

A response that completes normally commits (a failed login must still count the failure);
an exception rolls everything back."""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from sqlalchemy.orm import Session

from core.db import Database


def init_app(app: Flask, database: Database) -> None:
    app.extensions["ykt_database"] = database
    app.after_request(_commit)
    app.teardown_request(_close)


def database() -> Database:
    db: Database = current_app.extensions["ykt_database"]
    return db


def session() -> Session:
    if "db_session" not in g:
        g.db_session = database().sessions()
    current: Session = g.db_session
    return current


def _commit(response: Response) -> Response:
    current: Session | None = g.get("db_session")
    if current is not None:
        current.commit()
    return response


def _close(exc: BaseException | None) -> None:
    current: Session | None = g.pop("db_session", None)
    if current is not None:
        if exc is not None:
            current.rollback()
        current.close()
