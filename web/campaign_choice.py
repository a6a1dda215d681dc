"""The campaign a person looks at: chosen beside the menu, kept in the login's session,
the one in progress until another is chosen. Pages pass it to the services in place of
"the campaign in progress"; an ended campaign is shown 只读 (its records refuse changes in
the services: campaign.current.ensure_open)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec
from urllib.parse import urlsplit

from flask import Blueprint, Flask, g, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user

from campaign import current
from campaign.models import Campaign
from campaign.models.accounts import Role
from core.errors import NotFound
from core.numbers import row_id
from web import db
from web.authz import allow

bp = Blueprint("campaign_choice", __name__)
P = ParamSpec("P")
_SLOT = "campaign_id"


def chosen() -> Campaign:
    """The campaign chosen in this login's session, or the one in progress: a campaign no
    longer offered (or never started) falls back to the one in progress. Found once per
    request: the menu, the selector and the page all ask."""
    if "chosen_campaign" not in g:
        g.chosen_campaign = _find_chosen()
    found: Campaign = g.chosen_campaign
    return found


def _find_chosen() -> Campaign:
    store = db.session()
    wanted = session.get(_SLOT)
    if isinstance(wanted, int):
        found = store.get(Campaign, wanted)
        if found is not None and found in current.started_campaigns(store):
            return found
    return current.active_campaign(store)


def chosen_id() -> int:
    return chosen().id


def chosen_id_if_any() -> int | None:
    """As chosen_id, or None before any campaign exists (a fresh database's pages, the
    error pages among them, still draw their menu)."""
    try:
        return chosen_id()
    except NotFound:
        return None


def records_in_progress(
    view: Callable[P, ResponseReturnValue],
) -> Callable[P, ResponseReturnValue]:
    """For a page whose form makes a new record, which always belongs to the campaign in
    progress: while an ended campaign is looked at, the page says so, instead of offering a
    form that would seem to add to the campaign on the screen, and offers to switch to the
    one in progress and come back to the form. (What is posted goes ahead: the form was
    shown under the campaign in progress.)"""

    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        if request.method == "GET":
            switch = switch_page_if_ended()
            if switch is not None:
                return switch
        return view(*args, **kwargs)

    return guarded


def switch_page_if_ended() -> str | None:
    """The page offering to switch to the campaign in progress, while an ended one is
    chosen; None otherwise (and before any campaign exists)."""
    store = db.session()
    try:
        shown = chosen()
    except NotFound:
        return None
    if not current.has_ended(store, shown):
        return None
    return render_template(
        "campaign_switch.html",
        shown=shown,
        in_progress=current.active_campaign(store),
        back=request.full_path if request.query_string else request.path,
    )


@bp.post("/campaign")
@allow(*(role.value for role in Role))
def choose() -> ResponseReturnValue:
    store = db.session()
    wanted = request.form.get("campaign", "")
    offered = {c.id: c for c in current.started_campaigns(store)}
    picked = wanted_id if (wanted_id := row_id(wanted)) in offered else None
    if picked is None or offered[picked].active:
        session.pop(_SLOT, None)
    else:
        session[_SLOT] = picked
    back = request.form.get("next", "")
    parts = urlsplit(back)
    # Only a path of this site: never a redirect elsewhere.
    safe = back.startswith("/") and not back.startswith("//") and not parts.netloc
    return redirect(back if safe else "/")


def init_app(app: Flask) -> None:
    app.context_processor(_choice)


def _choice() -> dict[str, Any]:
    if not current_user.is_authenticated:
        return {"campaign_view": None}
    store = db.session()
    try:
        offered = current.started_campaigns(store)
        shown = chosen()
    except NotFound:  # no campaign yet (a fresh database): no selector
        return {"campaign_view": None}
    return {
        "campaign_view": {
            "offered": offered,
            "shown": shown,
            "read_only": current.has_ended(store, shown),
            "back": _this_page(),
        }
    }


def _this_page() -> str:
    """Where the selector returns: this page's address, or, for a page shown in answer to a
    form sent (a refusal), the page the form was on, since a form's address may not be
    opened (a template may name it instead, `page_address`)."""
    if request.method == "GET":
        return request.full_path if request.query_string else request.path
    sent_from = urlsplit(request.referrer or "")
    if sent_from.netloc == request.host and sent_from.path.startswith("/"):
        return sent_from.path + (f"?{sent_from.query}" if sent_from.query else "")
    return "/"
