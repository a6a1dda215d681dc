"""The statutory tables on the API: as figures (JSON, the same document a filing keeps:
money in 分, counts exact) and as the Excel workbooks the reports page downloads."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import fields
from werkzeug.wrappers import Response

from campaign import reports
from campaign.models.filings import FiledTable
from campaign.reports import filing
from web import db
from web.api import schemas as s
from web.api.blueprint import api_user, bp
from web.api.contract import XLSX, Answer, declare
from web.authz import allow
from web.reports.routes import xlsx_response
from web.reports.scoping import scope_from
from web.roles import REPORT_ROLES


class ScopeQuery(s.Query):
    unit = s.Code(load_default="", metadata={"description": "单位代码；省略为本人的范围"})
    campaign = s.Code(load_default="", metadata={"description": "活动代码，默认进行中的活动"})
    from_ = s.DayAsked(data_key="from", load_default=None)
    to = s.DayAsked(load_default=None)


class Attachment3Query(ScopeQuery):
    by = s.Choice(["township"], load_default="", metadata={"description": "township：按乡镇"})


class Column(s.Schema):
    key = fields.String()
    name = fields.String()
    measure = s.Choice(["money", "count", "cards"])


class Row(s.Schema):
    kind = fields.String()
    key = fields.String()
    number = fields.String(allow_none=True)
    name = fields.String()
    values = fields.List(
        fields.Integer(allow_none=True), metadata={"description": "按 columns 的顺序；金额为分"}
    )


class TableScope(s.Schema):
    campaign = fields.Integer()
    unit = fields.String()
    date_from = s.Day(allow_none=True)
    date_to = s.Day(allow_none=True)


class Figures(s.Schema):
    table = s.Choice([t.value for t in FiledTable])
    scope = fields.Nested(TableScope)
    filing_unit = fields.String()
    period = fields.String()
    columns = fields.List(fields.Nested(Column))
    rows = fields.List(fields.Nested(Row))


def _scope(query: dict[str, Any]) -> reports.ReportScope:
    args = {
        "unit": query["unit"],
        "from": query["from_"].isoformat() if query["from_"] else "",
        "to": query["to"].isoformat() if query["to"] else "",
    }
    return scope_from(db.session(), api_user(), args, campaign=query["campaign"])


def _figures(table: FiledTable, query: dict[str, Any]) -> dict[str, Any]:
    scope = _scope(query)
    computed = filing.current_table(db.session(), scope, table)
    return filing.document_of(computed, scope, table)


REFUSED = (403, 422)


@bp.get("/reports/attachment2")
@allow(*REPORT_ROLES, api=True)
@declare(
    "附件2 问题统计表的数字（金额为分）",
    {200: Answer("附件2", Figures)},
    query=ScopeQuery,
    refusals=REFUSED,
)
def attachment2_figures(query: dict[str, Any]) -> ResponseReturnValue:
    return _figures(FiledTable.ATTACHMENT2, query)


@bp.get("/reports/attachment3")
@allow(*REPORT_ROLES, api=True)
@declare(
    "附件3 问题情况汇总表的数字（金额为分）",
    {200: Answer("附件3", Figures)},
    query=Attachment3Query,
    refusals=REFUSED,
)
def attachment3_figures(query: dict[str, Any]) -> ResponseReturnValue:
    by_township = query["by"] == "township"
    table = FiledTable.ATTACHMENT3_BY_TOWNSHIP if by_township else FiledTable.ATTACHMENT3
    return _figures(table, query)


@bp.get("/reports/attachment2.xlsx")
@allow(*REPORT_ROLES, api=True)
@declare(
    "附件2 问题统计表（Excel）",
    {200: Answer("Excel 文件", media_type=XLSX)},
    query=ScopeQuery,
    refusals=REFUSED,
)
def attachment2_xlsx(query: dict[str, Any]) -> Response:
    return xlsx_response("attachment2", _scope(query), False, actor=api_user())


@bp.get("/reports/attachment3.xlsx")
@allow(*REPORT_ROLES, api=True)
@declare(
    "附件3 问题情况汇总表（Excel）",
    {200: Answer("Excel 文件", media_type=XLSX)},
    query=Attachment3Query,
    refusals=REFUSED,
)
def attachment3_xlsx(query: dict[str, Any]) -> Response:
    by_township = query["by"] == "township"
    return xlsx_response("attachment3", _scope(query), by_township, actor=api_user())
