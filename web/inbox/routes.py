from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from campaign import inbox, tasks
from web import campaign_choice, db, errors
from web.authz import allow
from web.common import HOST, me, page_arg
from web.roles import WORKING_ROLES

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.get("/")
@allow(*WORKING_ROLES)
def index() -> str:
    tab = request.args.get("tab", "open")
    filters = inbox.InboxFilters.from_args(request.args)
    page = inbox.page(
        db.session(), me(), tab, filters, page_arg(), campaign_id=campaign_choice.chosen_id_if_any()
    )
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


def _back() -> str:
    """The page the button was on (the inbox or the task), never another site."""
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url):
        return referrer
    return url_for("inbox.index")


@bp.post("/<int:item_id>/claim")
@allow(*WORKING_ROLES)
def claim(item_id: int) -> Response:
    errors.on_refusal(errors.back_to(_back()))
    tasks.claim(db.session(), HOST, me(), item_id)
    flash("已认领，其他人将不能办理此任务", "success")
    return redirect(_back())


@bp.post("/<int:item_id>/unclaim")
@allow(*WORKING_ROLES)
def unclaim(item_id: int) -> Response:
    errors.on_refusal(errors.back_to(_back()))
    tasks.unclaim(db.session(), me(), item_id)
    flash("已退回认领", "success")
    return redirect(_back())
