"""审计日志: the audit record, for the audit administrator only (separation of duties). Each
page shown is itself recorded (campaign.audit.read_log)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from campaign import audit
from campaign.audit import ACTION_LABELS
from web import db
from web.authz import allow
from web.common import me, page_arg
from web.roles import AUDITOR

bp = Blueprint("audit_log", __name__, url_prefix="/audit")


@bp.get("/")
@allow(AUDITOR)
def index() -> str:
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip()
    found = audit.read_log(db.session(), me(), action=action, actor=actor, page=page_arg())
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "audit_log/index.html",
        events=found.items,
        total=found.total,
        page=found.number,
        pages=found.pages,
        args=args,
        action=action,
        actor=actor,
        labels=ACTION_LABELS,
    )
