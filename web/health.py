"""Liveness and readiness for load balancers and process supervisors: no login, JSON, and
nothing about the installation beyond "up or not" (no address, version or data).

/healthz answers as long as the process serves requests; it touches no database, so a
database outage does not make a supervisor restart healthy web processes. /readyz says
whether this process should get traffic: the database answers and its schema is the one this
code was written for (an upgrade not yet applied would fail requests), and the process is
not shutting down (SIGTERM: the balancer stops sending before the last requests finish)."""

from __future__ import annotations

import threading
from functools import cache

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from core import schema
from web import db
from web.authz import allow

bp = Blueprint("health", __name__)

LIVE_ENDPOINTS = frozenset({"health.live", "health.ready"})
# Set when the process has been asked to stop: readiness fails from then on.
stopping = threading.Event()


@cache
def _head() -> str | None:
    return schema.head_revision()


@bp.get("/healthz")
@allow(public=True)
def live() -> Response:
    return _answer(200, status="ok")


@bp.get("/readyz")
@allow(public=True)
def ready() -> Response:
    if stopping.is_set():
        return _answer(503, status="stopping")
    try:
        # The request's own session, which writes nothing (on SQLite a GET's transaction
        # is deferred: it waits for no writer).
        revision = schema.revision_of(db.session().connection())
    except SQLAlchemyError:
        return _answer(503, status="unavailable", database="unreachable")
    if revision != _head():
        return _answer(503, status="unavailable", database="ok", schema="outdated")
    return _answer(200, status="ok", database="ok", schema="current")


def _answer(code: int, **body: str) -> Response:
    response = jsonify(body)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response
