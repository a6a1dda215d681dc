"""The Flask application: a factory, one blueprint per feature, thin views."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

from core.config import Settings, load_settings
from core.db import MAX_ID, Database
from web import (
    accountability,
    admin,
    api,
    audit_client,
    audit_log,
    auth,
    authz,
    campaign_choice,
    cases,
    comparison,
    db,
    errors,
    evaluations,
    formatting,
    health,
    home,
    inbox,
    input_guard,
    inspections,
    ledger,
    navigation,
    notifications,
    obligations,
    once,
    public,
    reports,
    security,
    spot_checks,
    supervise,
    supervision,
    tasks,
    tip_offs,
)


class RowIdConverter(IntegerConverter):
    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def create_app(
    *,
    database: Database | None = None,
    settings: Settings | None = None,
    config: dict[str, Any] | None = None,
) -> Flask:
    settings = settings or load_settings()
    app = errors.App(__name__)
    # An id in a URL beyond what a row can have names nothing: 404, not a database overflow.
    app.url_map.converters["int"] = RowIdConverter
    app.config.update(
        SECRET_KEY=settings.secret_key,
        YKT_SETTINGS=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=security.IDLE_TIMEOUT_MINUTES),
        MAX_CONTENT_LENGTH=60 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the (idle-limited) session
    )
    if config:
        app.config.update(config)
    db.init_app(
        app,
        database or Database(settings.database_url, lock_wait=settings.lock_wait_seconds),
    )
    audit_client.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    authz.init_app(app)
    input_guard.init_app(app)
    security.csrf.exempt(api.bp)  # bearer tokens only: see web.authz.bearer_user
    formatting.init_app(app)
    navigation.init_app(app)
    campaign_choice.init_app(app)
    once.init_app(app)
    for blueprint in (
        health.bp,
        auth.bp,
        home.bp,
        inbox.bp,
        tasks.bp,
        cases.bp,
        ledger.bp,
        supervise.bp,
        supervision.bp,
        inspections.bp,
        accountability.bp,
        evaluations.bp,
        obligations.bp,
        admin.bp,
        audit_log.bp,
        notifications.bp,
        public.bp,
        reports.bp,
        tip_offs.bp,
        comparison.bp,
        spot_checks.bp,
        api.bp,
        campaign_choice.bp,
    ):
        app.register_blueprint(blueprint)
    return app
