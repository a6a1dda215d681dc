"""报送与留档 on the reports page: the office files the table on screen for the scope shown;
everyone who reads the scope's reports sees its filings, downloads them as filed, and sees
what changed since the last one, cell by cell (campaign.reports.filing holds the rules)."""

from __future__ import annotations

import io
from typing import Any

from flask import flash, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from campaign import accounts
from campaign.models import FiledTable, User
from campaign.reports import filing
from campaign.submissions import record as record_submission
from core.errors import InvalidInput
from web import db, errors, once
from web.authz import allow
from web.campaign_choice import chosen_id
from web.common import me
from web.reports.filing_page import attachment3_kind
from web.reports.routes import XLSX, bp
from web.reports.scoping import scope_from
from web.roles import REPORT_ROLES, SUPERVISOR


def _back() -> str:
    kept: dict[str, Any] = {
        k: v for k, v in request.form.items() if k in ("unit", "from", "to", "by") and v
    }
    return url_for("reports.index", **kept) + "#filing"


@bp.post("/filings")
@allow(SUPERVISOR)
def file_table() -> Response:
    """Files the table the form names, for the scope the form carries (the page's scope)."""
    session = db.session()
    errors.on_refusal(errors.back_to(_back(), "未报送："))
    submission = once.claim()
    scope = scope_from(session, me(), request.form, campaign=chosen_id())
    by_township = request.form.get("by") == "township"
    choice = request.form.get("table", "")
    if choice not in ("attachment2", "attachment3"):
        raise InvalidInput(fields={"table": "请选择要报送的表"})
    if request.form.get("confirm") != "yes":
        raise InvalidInput(fields={"confirm": "请先勾选“已核对上表数字，确认报送”"})
    table = FiledTable.ATTACHMENT2 if choice == "attachment2" else attachment3_kind(by_township)
    name = request.form.get("reviewer", "")
    reviewer = accounts.user_by_name(session, name) if name else None
    filed = filing.file_table(session, me(), scope, table, reviewer)
    message = (
        f"已报送{filed.table.label}（{filed.filing_unit}，第 {filed.version} 次报送，"
        f"审核人：{filed.reviewer_name}），留档编号 {filed.id}"
    )
    record_submission(submission, message + "。", _back())
    flash(message, "success")
    return redirect(_back())


@bp.get("/filings/<int:filing_id>")
@allow(*REPORT_ROLES)
def show_filing(filing_id: int) -> str:
    session = db.session()
    filed = filing.get(session, filing_id, me())
    return render_template(
        "reports/filing.html",
        filed=filed,
        verification=filing.verify(session, filed),
        changes=filing.changes_since(session, filed),
        back=_scope_args(filed),
    )


def _scope_args(filed: Any) -> dict[str, str]:
    args = {"unit": filed.unit.code}
    if filed.date_from:
        args["from"] = filed.date_from.isoformat()
    if filed.date_to:
        args["to"] = filed.date_to.isoformat()
    if filed.table.by_township:
        args["by"] = "township"
    return args


@bp.get("/filings/<int:filing_id>.xlsx")
@allow(*REPORT_ROLES)
def download_filing(filing_id: int) -> Response:
    return filing_download(filing_id, me())


def filing_download(filing_id: int, user: User) -> Response:
    """The workbook as filed (pages and the API), recorded as downloaded by `user`."""
    name, workbook = filing.download(db.session(), filing_id, user=user)
    return send_file(io.BytesIO(workbook), mimetype=XLSX, as_attachment=True, download_name=name)
