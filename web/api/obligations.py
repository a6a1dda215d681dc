"""报送管理 on the API: every report owed with its state, one filed report as filed, and the
office's 退回 with a reason."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue
from marshmallow import fields

from campaign import report_overview, report_review, submissions
from campaign.current import chosen_campaign
from campaign.models import Obligation
from campaign.report_overview import STATES, OverviewFilters
from web import db
from web.api import schemas as s
from web.api.blueprint import api_user, bp
from web.api.contract import Answer, declare
from web.api.keys import claim_key
from web.authz import allow
from web.common import HOST
from web.roles import REPORT_ROLES, SUPERVISOR


class OverviewQuery(s.Paged):
    obligation = s.Code(
        load_default="", metadata={"description": "报送事项代码，如 monthly_report"}
    )
    period = s.Text(limit=16, load_default="", metadata={"description": "期间，如 2022-06 或 2022"})
    state = s.Choice(list(STATES), load_default="", metadata={"description": "报送状态"})
    unit = s.Code(load_default="", metadata={"description": "单位代码"})
    q = s.Text(limit=100, load_default="", metadata={"description": "单位名称或代码的一部分"})
    campaign = s.Code(load_default="", metadata={"description": "活动代码，默认进行中的活动"})


class ReportRow(s.Schema):
    id = fields.Integer()
    obligation = fields.String(metadata={"description": "报送事项代码"})
    report_name = fields.String()
    period = fields.String()
    unit = fields.String(metadata={"description": "单位代码"})
    unit_name = fields.String()
    due_on = s.Day()
    state = s.Choice(list(STATES))
    state_label = fields.String(metadata={"description": "未报、逾期、已报或退回"})
    filed_at = s.When(allow_none=True)
    return_reason = fields.String(metadata={"description": "退回时：退回理由"})
    warnings = fields.List(fields.String(), metadata={"description": "与台账、村数核对的不符之处"})


class FiledValue(s.Schema):
    label = fields.String()
    text = fields.String()
    attachments = fields.List(fields.String(), metadata={"description": "附件文件名"})


class ReturnRecord(s.Schema):
    at = s.When()
    by = fields.String()
    reason = fields.String()


class PendingReview(s.Schema):
    values = fields.List(fields.Nested(FiledValue), metadata={"description": "经办人报送的内容"})
    filled_by = fields.String(metadata={"description": "报送人"})
    filled_at = s.When()
    warnings = fields.List(
        fields.String(), metadata={"description": "报出后办公室将看到的核对提示"}
    )


class ReportDetail(ReportRow):
    values = fields.List(fields.Nested(FiledValue), metadata={"description": "报送的表单内容"})
    returns = fields.List(fields.Nested(ReturnRecord))
    awaiting_office = fields.Boolean(metadata={"description": "领导小组办公室审阅环节是否待办"})
    pending = fields.Nested(
        PendingReview,
        allow_none=True,
        metadata={"description": "单位负责人审核上报时：待审核的报送内容（尚未报出）；否则为 null"},
    )


class ReturnBody(s.Body):
    reason = s.Text(limit=report_review.REASON_LIMIT, required=True)


def _row(o: Obligation, name: str, state: str, warnings: list[str]) -> dict[str, Any]:
    filed = o.submitted_at if state != "unfiled" else None
    return {
        "id": o.id,
        "obligation": o.deadline_code,
        "report_name": name,
        "period": o.period,
        "unit": o.unit.code,
        "unit_name": o.unit.name,
        "due_on": o.due_on.isoformat(),
        "state": state,
        "state_label": STATES[state],
        "filed_at": filed.isoformat() if filed else None,
        "return_reason": o.return_reason if state == "returned" else "",
        "warnings": warnings,
    }


@bp.get("/obligations")
@allow(*REPORT_ROLES, api=True)
@declare(
    "报送情况：每个报送事项、期间和单位的报送状态（默认每页 50 项）",
    {200: Answer("报送情况", s.page_of(ReportRow, "ReportPage"))},
    query=OverviewQuery,
)
def list_obligations(query: dict[str, Any]) -> ResponseReturnValue:
    filters = OverviewFilters(
        query["obligation"],
        query["period"],
        query["state"],
        query["unit"],
        query["q"],
        campaign_id=chosen_campaign(db.session(), query["campaign"]).id,
    )
    found = report_overview.page(
        db.session(),
        api_user(),
        filters,
        query["page"],
        query["per_page"] or report_overview.PER_PAGE,
    )
    return s.page_answer(
        [_row(r.obligation, r.report_name, r.state, r.warnings) for r in found.items], found
    )


def _values(values: list[report_review.FiledValue]) -> list[dict[str, Any]]:
    return [
        {"label": v.label, "text": v.text, "attachments": [a.filename for a in v.attachments]}
        for v in values
    ]


def _detail(obligation_id: int) -> dict[str, Any]:
    report = report_review.filed_report(db.session(), api_user(), obligation_id)
    pending = report.pending
    return _row(report.obligation, report.report_name, report.state, report.warnings) | {
        "values": _values(report.values),
        "returns": [
            {"at": r.at.isoformat(), "by": r.by, "reason": r.reason} for r in report.returns
        ],
        "awaiting_office": report.awaiting_office,
        "pending": {
            "values": _values(pending.values),
            "filled_by": pending.filled_by,
            "filled_at": pending.filled_at.isoformat(),
            "warnings": pending.warnings,
        }
        if pending is not None
        else None,
    }


@bp.get("/obligations/<int:obligation_id>")
@allow(*REPORT_ROLES, api=True)
@declare("一份报告：报送状态、报送的内容、核对提示和退回记录", {200: Answer("报告", ReportDetail)})
def get_obligation(obligation_id: int) -> ResponseReturnValue:
    return _detail(obligation_id)


@bp.post("/obligations/<int:obligation_id>/return")
@allow(SUPERVISOR, api=True)
@declare(
    "退回已报的报告（领导小组办公室）：报告回到单位经办人的待办，重新报送前按“退回”统计",
    {200: Answer("已退回", ReportDetail)},
    body=ReturnBody,
    refusals=(403, 409, 422),
    idempotent=True,
)
def return_obligation(obligation_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    submission = claim_key()
    report_review.return_report(db.session(), HOST, api_user(), obligation_id, body["reason"])
    submissions.record(
        submission, "报告已退回。", url_for("api.get_obligation", obligation_id=obligation_id)
    )
    return _detail(obligation_id)
