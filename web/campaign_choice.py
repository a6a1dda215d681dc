"""The campaign a person looks at: chosen beside the menu, kept in the login's session,
the one in progress until another is chosen. Pages pass it to the services in place of
"the campaign in progress"; an ended campaign is shown 只读 (its records refuse changes in
the services: campaign.current.ensure_open)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, redirect, request, session
from flask.typing import ResponseReturnValue
from flask_login import current_user

from campaign import current
from campaign.models import Campaign
from campaign.models.accounts import Role
from core.errors import NotFound
from web import db
from web.authz import allow

bp = Blueprint("campaign_choice", __name__)
_SLOT = "campaign_id"


def chosen() -> Campaign:
    """The campaign chosen in this login's session, or the one in progress: a campaign no
    longer offered (or never started) falls back to the one in progress."""
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


@bp.post("/campaign")
@allow(*(role.value for role in Role))
def choose() -> ResponseReturnValue:
    store = db.session()
    wanted = request.form.get("campaign", "")
    offered = {c.id: c for c in current.started_campaigns(store)}
    picked = int(wanted) if wanted.isdigit() and int(wanted) in offered else None
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
        }
    }
