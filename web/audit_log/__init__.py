"""审计日志: the audit record, for the audit administrator only (separation of duties). Each
page shown and each download is itself recorded (campaign.audit_search)."""

from __future__ import annotations

import io
import re

from flask import Blueprint, render_template, request, send_file
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from campaign import audit_search, audit_view
from campaign.audit import ACTION_LABELS
from campaign.models import AuditEvent
from core import clock
from core.paging import Page
from forms.tables.audit_sheet import AuditLine, write_audit
from web import db, errors
from web.authz import allow
from web.common import me, page_arg
from web.reports.routes import XLSX
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
def index() -> ResponseReturnValue:
    found = audit_search.read_log(db.session(), me(), _filter(), page=page_arg())
    return _page(found=found)


def _filter() -> audit_search.LogFilter:
    """The filter the page and the download are asked for; a refused one shows the page
    again with the filter as typed and why."""
    errors.on_refusal(lambda error: (_page(refused=errors.field_errors(error)), 422))
    return audit_search.log_filter(*_asked())


def _asked() -> tuple[str, str, str, str]:
    return tuple(request.args.get(name, "") for name in FILTERS)  # type: ignore[return-value]


FILTERS = ("action", "actor", "since", "until")


def _page(found: Page[AuditEvent] | None = None, refused: dict[str, str] | None = None) -> str:
    """The page: the records found, or, for a filter refused, the filter as typed and why."""
    action, actor, since, until = _asked()
    return render_template(
        "audit_log/index.html",
        events=audit_view.shown(db.session(), found.items) if found else [],
        total=found.total if found else 0,
        page=found.number if found else 1,
        pages=found.pages if found else 1,
        args={k: v for k, v in request.args.items() if k != "page" and v},
        action=action.strip(),
        actor=actor.strip(),
        since=since.strip(),
        until=until.strip(),
        refused=refused or {},
        labels=ACTION_LABELS,
        actions=sorted(ACTION_LABELS.items(), key=lambda item: item[0]),
        sources=SOURCE_LABELS,
        client_summary=client_summary,
    )


@bp.get("/export.xlsx")
@allow(AUDITOR)
def export() -> ResponseReturnValue:
    """The records the page's filter picks, as a workbook (at most EXPORT_MOST of them)."""
    filters = _filter()
    session = db.session()
    batches = audit_search.export_log(session, me(), filters)
    buffer = io.BytesIO()
    write_audit(_title(filters), (line for b in batches for line in _lines(session, b)), buffer)
    buffer.seek(0)
    stamp = clock.local_now().strftime("%Y%m%d-%H%M")
    return send_file(
        buffer, mimetype=XLSX, as_attachment=True, download_name=f"审计日志-{stamp}.xlsx"
    )


def _title(filters: audit_search.LogFilter) -> str:
    asked = [
        f"操作：{ACTION_LABELS.get(filters.action, filters.action)}" if filters.action else "",
        f"用户：{filters.actor}" if filters.actor else "",
        f"自 {filters.since.isoformat()}" if filters.since else "",
        f"至 {filters.until.isoformat()}" if filters.until else "",
    ]
    shown = "，".join(part for part in asked if part) or "全部记录"
    made = clock.local_now().strftime("%Y-%m-%d %H:%M")
    return f"审计日志（{shown}；{made} 导出，北京时间）"


def _lines(session: Session, events: list[AuditEvent]) -> list[AuditLine]:
    return [
        AuditLine(
            at=shown.event.at.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            actor=shown.event.actor_name,
            action=ACTION_LABELS.get(shown.event.action, shown.event.action),
            action_code=shown.event.action,
            target=shown.target,
            result="成功" if shown.event.success else "失败",
            source=SOURCE_LABELS.get(shown.event.source, shown.event.source),
            ip=shown.event.ip,
            client=client_summary(shown.event.user_agent),
            details="；".join(f"{label}：{value}" for label, value in shown.details),
        )
        for shown in audit_view.shown(session, events)
    ]
