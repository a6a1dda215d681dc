"""Filed statutory tables (报送留档) on the API: the list, one filing with what changed since,
and the workbook exactly as filed."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from campaign.models import ReportFiling
from campaign.org import unit_by_code
from campaign.reports import filing
from campaign.reports.filed_figures import Change
from web import db
from web.api.blueprint import api_user, bp
from web.authz import allow
from web.common import page_arg
from web.reports.filing_routes import filing_download
from web.roles import REPORT_ROLES


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


def change_json(change: Change) -> dict[str, Any]:
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
def list_filings() -> ResponseReturnValue:
    session = db.session()
    code = request.args.get("unit", "")
    unit_id = unit_by_code(session, code).id if code else None
    found = filing.filings(session, api_user(), unit_id=unit_id, page=page_arg())
    return jsonify(
        {
            "items": [filing_json(f) for f in found.items],
            "total": found.total,
            "page": found.number,
            "pages": found.pages,
        }
    )


@bp.get("/reports/filings/<int:filing_id>")
@allow(*REPORT_ROLES, api=True)
def get_filing(filing_id: int) -> ResponseReturnValue:
    session = db.session()
    filed = filing.get(session, filing_id, api_user())
    checked = filing.verify(session, filed)
    return jsonify(
        filing_json(filed)
        | {
            "verified": checked.ok,
            "faults": list(checked.faults),
            "changes": [change_json(c) for c in filing.changes_since(session, filed)],
        }
    )


@bp.get("/reports/filings/<int:filing_id>.xlsx")
@allow(*REPORT_ROLES, api=True)
def download_filing(filing_id: int) -> Response:
    return filing_download(filing_id, api_user())
