"""The portal: published rectification results (公开公示) and reports from the public
(我要举报, web.public.tip_off), no login."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from campaign import campaigns, disclosures
from web import db
from web.authz import allow
from web.common import page_arg

bp = Blueprint("public", __name__, url_prefix="/public")


@bp.get("/")
@allow(public=True)
def index() -> str:
    township = request.args.get("township", "").strip()[:32]
    programme = request.args.get("programme", "").strip()[:32]
    found = disclosures.search(
        db.session(), township=township, programme=programme, page=page_arg()
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "public/index.html",
        phone=campaigns.report_phone(db.session()),
        rows=found.items,
        total=found.total,
        exact=found.exact,
        page=found.number,
        pages=found.pages,
        args=args,
        township=township,
        programme=programme,
        choices=disclosures.search_choices(db.session()),
    )


from web.public import tip_off  # noqa: E402,F401  (its routes register on the blueprint)
