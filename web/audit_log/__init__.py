"""审计日志: the audit record, for the audit administrator only (separation of duties)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from campaign.audit import ACTION_LABELS
from campaign.models import AuditEvent
from web import db
from web.authz import allow
from web.roles import AUDITOR

bp = Blueprint("audit_log", __name__, url_prefix="/audit")
PER_PAGE = 50


@bp.get("/")
@allow(AUDITOR)
def index() -> str:
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip()
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if actor:
        query = query.where(AuditEvent.actor_name == actor)
    page = max(1, request.args.get("page", 1, type=int))
    total = db.session().scalar(select(func.count()).select_from(query.subquery())) or 0
    events = db.session().scalars(
        query.order_by(AuditEvent.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "audit_log/index.html",
        events=list(events),
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        args=args,
        action=action,
        actor=actor,
        labels=ACTION_LABELS,
    )
