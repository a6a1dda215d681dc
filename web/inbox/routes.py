from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from campaign import inbox
from campaign.workflow_host import actor_for
from engine import workitems
from engine.errors import EngineError
from web import db
from web.authz import allow
from web.common import HOST, me
from web.roles import WORKING_ROLES

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.get("/")
@allow(*WORKING_ROLES)
def index() -> str:
    tab = request.args.get("tab", "open")
    filters = inbox.InboxFilters.from_args(request.args)
    page = inbox.page(db.session(), me(), tab, filters, request.args.get("page", 1, type=int))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "inbox/index.html",
        page=page,
        tab=tab,
        tabs=inbox.TABS,
        filters=filters,
        args=args,
        choices=inbox.filter_choices(db.session(), me()),
    )


@bp.post("/<int:item_id>/claim")
@allow(*WORKING_ROLES)
def claim(item_id: int) -> Response:
    try:
        workitems.claim(db.session(), HOST, item_id, actor_for(me()))
        flash("已认领，其他人将不能办理此任务", "success")
    except EngineError as exc:
        db.session().rollback()
        flash(str(exc), "error")
    return redirect(request.referrer or url_for("inbox.index"))


@bp.post("/<int:item_id>/unclaim")
@allow(*WORKING_ROLES)
def unclaim(item_id: int) -> Response:
    try:
        workitems.unclaim(db.session(), item_id, actor_for(me()))
        flash("已退回认领", "success")
    except EngineError as exc:
        db.session().rollback()
        flash(str(exc), "error")
    return redirect(request.referrer or url_for("inbox.index"))
