"""公开公示: published rectification results for the public, no login."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from campaign import disclosures
from web import db
from web.authz import allow

bp = Blueprint("public", __name__, url_prefix="/public")


@bp.get("/")
@allow(public=True)
def index() -> str:
    township = request.args.get("township", "").strip()[:32]
    programme = request.args.get("programme", "").strip()[:32]
    page = max(1, request.args.get("page", 1, type=int))
    rows, total = disclosures.search(
        db.session(), township=township, programme=programme, page=page
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "public/index.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // disclosures.PER_PAGE)),
        args=args,
        township=township,
        programme=programme,
        choices=disclosures.search_choices(db.session()),
    )
