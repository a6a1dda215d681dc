from __future__ import annotations

from flask import Blueprint, current_app, render_template, send_from_directory
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from campaign.models import Campaign
from core import clock
from web import db
from web.authz import allow

bp = Blueprint("home", __name__)


@bp.route("/")
@allow()
def index() -> str:
    campaign = db.session().scalar(
        select(Campaign).where(Campaign.active.is_(True)).order_by(Campaign.year.desc())
    )
    return render_template(
        "home/index.html",
        user=current_user,
        campaign=campaign,
        today=clock.local_now().date(),
    )


@bp.get("/favicon.ico")
@allow(public=True)
def favicon() -> Response:
    """Browsers ask for it on every site, whatever the page links."""
    assert current_app.static_folder is not None
    return send_from_directory(
        current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400
    )
