"""Filed statutory tables (报送留档) on the API: the list, one filing with what changed since,
and the workbook exactly as filed."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import fields
from werkzeug.wrappers import Response

from campaign.current import chosen_campaign
from campaign.models import ReportFiling
from campaign.org import unit_by_code
from campaign.reports import filed_figures, filing
from web import db
from web.api import schemas as s
from web.api.blueprint import api_user, bp
from web.api.contract import XLSX, Answer, declare
from web.authz import allow
from web.reports.filing_routes import filing_download
from web.roles import REPORT_ROLES


class FilingQuery(s.Paged):
    unit = s.Code(load_default="")
    campaign = s.Code(load_default="", metadata={"description": "活动代码，默认进行中的活动"})


class Filing(s.Schema):
    id = fields.Integer()
    table = s.Choice(["attachment2", "attachment3", "attachment3_township"])
    table_label = fields.String()
    campaign_id = fields.Integer()
    unit = fields.String(metadata={"description": "填表单位的代码"})
    filing_unit = fields.String(metadata={"description": "填表单位"})
    date_from = s.Day(allow_none=True)
    date_to = s.Day(allow_none=True)
    period = fields.String()
    version = fields.Integer(metadata={"description": "同一范围、同一时段的第几次报送"})
    filer = fields.String(metadata={"description": "填表人"})
    reviewer = fields.String(metadata={"description": "审核人"})
    filed_on = s.Day(metadata={"description": "填报日期"})
    figures_sha256 = fields.String()
    workbook_sha256 = fields.String()


class Change(s.Schema):
    row = fields.String()
    row_name = fields.String()
    column = fields.String()
    column_name = fields.String()
    measure = s.Choice(["money", "count", "cards"])
    filed = fields.Integer(allow_none=True, metadata={"description": "报送时：金额为分"})
    current = fields.Integer(allow_none=True, metadata={"description": "现在"})


class FilingDetail(Filing):
    verified = fields.Boolean()
    faults = fields.List(fields.String())
    changes = fields.List(fields.Nested(Change))


def filing_json(filed: ReportFiling) -> dict[str, Any]:
    return {
        "id": filed.id,
        "table": filed.table_kind,
        "table_label": filed.table.label,
        "campaign_id": filed.campaign_id,
        "unit": filed.unit.code,
        "filing_unit": filed.filing_unit,
        "date_from": filed.date_from.isoformat() if filed.date_from else None,
        "date_to": filed.date_to.isoformat() if filed.date_to else None,
        "period": filed.period,
        "version": filed.version,
        "filer": filed.filer_name,
        "reviewer": filed.reviewer_name,
        "filed_on": filed.filed_on.isoformat(),
        "figures_sha256": filed.figures_sha256,
        "workbook_sha256": filed.workbook_sha256,
    }


def change_json(change: filed_figures.Change) -> dict[str, Any]:
    return {
        "row": change.row_key,
        "row_name": change.row_name,
        "column": change.column_key,
        "column_name": change.column_name,
        "measure": change.measure,
        "filed": change.filed,
        "current": change.current,
    }


@bp.get("/reports/filings")
@allow(*REPORT_ROLES, api=True)
@declare(
    "报送留档列表（新的在前，默认每页 20 份）",
    {200: Answer("报送留档", s.page_of(Filing, "FilingPage"))},
    query=FilingQuery,
    refusals=(403, 422),
)
def list_filings(query: dict[str, Any]) -> ResponseReturnValue:
    session = db.session()
    code = query["unit"]
    unit_id = unit_by_code(session, code).id if code else None
    found = filing.filings(
        session,
        api_user(),
        unit_id=unit_id,
        campaign_id=chosen_campaign(session, query["campaign"]).id,
        page=query["page"],
        per_page=query["per_page"] or filing.FILINGS_PAGE,
    )
    return s.page_answer([filing_json(f) for f in found.items], found)


@bp.get("/reports/filings/<int:filing_id>")
@allow(*REPORT_ROLES, api=True)
@declare(
    "一份报送留档：校验结果，及此后数字有变化的单元格",
    {200: Answer("报送留档", FilingDetail)},
    refusals=(403,),
)
def get_filing(filing_id: int) -> ResponseReturnValue:
    session = db.session()
    filed = filing.get(session, filing_id, api_user())
    checked = filing.verify(session, filed)
    return filing_json(filed) | {
        "verified": checked.ok,
        "faults": list(checked.faults),
        "changes": [change_json(c) for c in filing.changes_since(session, filed)],
    }


@bp.get("/reports/filings/<int:filing_id>.xlsx")
@allow(*REPORT_ROLES, api=True)
@declare(
    "报送时的 Excel 原件（逐字节不变）",
    {200: Answer("Excel 文件", media_type=XLSX)},
    refusals=(403, 409),
)
def download_filing(filing_id: int) -> Response:
    return filing_download(filing_id, api_user())
