"""通知: in-app notifications of new work, send-backs and overdue items."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from campaign import notifications
from campaign.notifications import KIND_LABELS
from web import db
from web.authz import allow
from web.common import me

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@allow()
def index() -> str:
    return render_template(
        "notifications/index.html",
        notifications=notifications.recent(db.session(), me()),
        labels=KIND_LABELS,
    )


@bp.post("/read")
@allow()
def read_all() -> Response:
    notifications.mark_all_read(db.session(), me())
    return redirect(url_for("notifications.index"))
