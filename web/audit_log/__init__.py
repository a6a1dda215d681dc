"""审计日志: the audit record, for the audit administrator only (separation of duties). Each
page shown is itself recorded (campaign.audit.read_log)."""

from __future__ import annotations

import re

from flask import Blueprint, render_template, request

from campaign import audit, audit_view
from campaign.audit import ACTION_LABELS
from web import db
from web.authz import allow
from web.common import me, page_arg
from web.roles import AUDITOR

bp = Blueprint("audit_log", __name__, url_prefix="/audit")

# Where a record came from (AuditEvent.source); none: the service's own scheduled work.
SOURCE_LABELS = {"web": "网页", "api": "API 接口", "cli": "命令行", "": "系统"}

# Browser and system named in a User-Agent, first match wins (Edge and Chrome also say Safari).
_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+)"),
    ("Firefox", r"Firefox/(\d+)"),
    ("Chrome", r"(?:Headless)?Chrome/(\d+)"),
    ("Safari", r"Version/(\d+)[^ ]* .*Safari/"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iOS", "iPhone"),
    ("iOS", "iPad"),
    ("macOS", "Mac OS X"),
    ("Linux", "Linux"),
)


def client_summary(user_agent: str) -> str:
    """ "Chrome 120 · Windows" for a browser's User-Agent; anything else (the command line's
    "ykt 命令行（系统用户 …）", an API client) as it is."""
    browser = next(
        (
            f"{name} {m.group(1)}"
            for name, pattern in _BROWSERS
            if (m := re.search(pattern, user_agent))
        ),
        "",
    )
    if not browser:
        return user_agent
    system = next((name for name, mark in _SYSTEMS if mark in user_agent), "")
    return f"{browser} · {system}" if system else browser


@bp.get("/")
@allow(AUDITOR)
def index() -> str:
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", "").strip()
    found = audit.read_log(db.session(), me(), action=action, actor=actor, page=page_arg())
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "audit_log/index.html",
        events=audit_view.shown(db.session(), found.items),
        total=found.total,
        page=found.number,
        pages=found.pages,
        args=args,
        action=action,
        actor=actor,
        labels=ACTION_LABELS,
        actions=sorted(ACTION_LABELS.items(), key=lambda item: item[0]),
        sources=SOURCE_LABELS,
        client_summary=client_summary,
    )
