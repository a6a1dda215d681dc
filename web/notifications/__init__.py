"""通知: a person's notices, grouped by day and kind, a page at a time; marking them read."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from campaign import notice_board
from campaign.notice_board import Filters
from campaign.notice_texts import FAMILIES, family_of
from web import db
from web.authz import allow
from web.common import me, page_arg

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def _filters(values: Any) -> Filters:
    return Filters.from_args(values.get("kind"), values.get("unread"))


def _args(filters: Filters) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if filters.family:
        args["kind"] = filters.family
    if filters.unread:
        args["unread"] = "1"
    return args


@bp.get("/")
@allow()
def index() -> str:
    session, filters = db.session(), _filters(request.args)
    found = notice_board.page(session, me(), filters, page_arg())
    return render_template(
        "notifications/index.html",
        page=found,
        groups=notice_board.grouped(found.items),
        targets=notice_board.targets(session, me(), found.items),
        filters=filters,
        args=_args(filters),
        families=FAMILIES,
        unread=notice_board.counts_by_family(session, me()),
        family_of=family_of,
    )


@bp.post("/<int:notification_id>/read")
@allow()
def read_one(notification_id: int) -> Response:
    notice_board.mark_read(db.session(), me(), notification_id)
    filters = _filters(request.form)
    return redirect(
        url_for("notifications.index", **_args(filters), page=request.form.get("page") or 1)
    )


@bp.post("/read")
@allow()
def read_all() -> Response:
    filters = _filters(request.form)
    notice_board.mark_all_read(db.session(), me(), filters)
    return redirect(url_for("notifications.index", **_args(filters)))
