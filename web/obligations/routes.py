from __future__ import annotations

import io
from dataclasses import replace

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from campaign import report_overview, report_review, submissions
from campaign.report_overview import OverviewFilters
from campaign.visibility import sees_whole_district
from web import db, errors, once
from web.authz import allow
from web.campaign_choice import chosen_id
from web.common import HOST, me, page_arg
from web.roles import REPORT_ROLES, SUPERVISOR

bp = Blueprint("obligations", __name__, url_prefix="/obligations")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/")
@allow(*REPORT_ROLES)
def index() -> str:
    session = db.session()
    filters = replace(OverviewFilters.from_args(request.args), campaign_id=chosen_id())
    found = report_overview.page(session, me(), filters, page_arg())
    return render_template(
        "obligations/index.html",
        rows=found.items,
        total=found.total,
        page=found.number,
        pages=found.pages,
        filters=filters,
        args=filters.args(),
        counts=report_overview.counts(session, me(), filters),
        choices=report_overview.choices(session, me(), filters.campaign_id),
        office=sees_whole_district(me()),
    )


@bp.get("/export.xlsx")
@allow(*REPORT_ROLES)
def export() -> Response:
    filters = replace(OverviewFilters.from_args(request.args), campaign_id=chosen_id())
    buffer = io.BytesIO()
    report_overview.export(db.session(), me(), filters, buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name="报送情况.xlsx")


@bp.get("/<int:obligation_id>")
@allow(*REPORT_ROLES)
def show(obligation_id: int) -> str:
    report = report_review.filed_report(db.session(), me(), obligation_id)
    return render_template(
        "obligations/show.html",
        report=report,
        office=sees_whole_district(me()),
        limit=report_review.REASON_LIMIT,
    )


@bp.post("/<int:obligation_id>/return")
@allow(SUPERVISOR)
def return_report(obligation_id: int) -> Response:
    back = url_for("obligations.show", obligation_id=obligation_id)
    errors.on_refusal(errors.back_to(back, "未退回："))
    submission = once.claim()
    report = report_review.return_report(
        db.session(), HOST, me(), obligation_id, request.form.get("reason", "")
    )
    submissions.record(submission, "报告已退回。", back)
    flash(
        f"已退回{report.unit.name}的报告（{report.period}），单位经办人将在待办中重新填报",
        "success",
    )
    return redirect(back)


@bp.post("/<int:obligation_id>/accept")
@allow(SUPERVISOR)
def accept_report(obligation_id: int) -> Response:
    back = url_for("obligations.show", obligation_id=obligation_id)
    errors.on_refusal(errors.back_to(back, "未通过："))
    submission = once.claim()
    report = report_review.accept_report(db.session(), HOST, me(), obligation_id)
    submissions.record(submission, "报告已审阅通过。", back)
    flash(f"{report.unit.name}的报告（{report.period}）已审阅通过", "success")
    return redirect(back)
