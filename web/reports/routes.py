from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, render_template, request, send_file
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from campaign import reports
from campaign.models import User
from campaign.reports import downloads
from core.errors import AppError
from forms.tables.attachment3 import COLUMNS as ATTACHMENT3_COLUMNS
from forms.tables.attachment3 import GROUPS as ATTACHMENT3_GROUPS
from web import db, errors
from web.authz import allow
from web.campaign_choice import chosen_id
from web.common import me, page_arg
from web.reports.checking import figures_check
from web.reports.filing_page import filing_context
from web.reports.scoping import scope_from
from web.roles import REPORT_ROLES

bp = Blueprint("reports", __name__, url_prefix="/reports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVIDENCE_PAGE = 50


def _args() -> dict[str, Any]:
    return {k: v for k, v in request.args.items() if k in ("unit", "from", "to", "by") and v}


@bp.get("/")
@allow(*REPORT_ROLES)
def index() -> ResponseReturnValue:
    errors.on_refusal(_refused_scope)
    return _index(scope_from(db.session(), me(), request.args, campaign=chosen_id()))


def _refused_scope(error: AppError) -> ResponseReturnValue:
    """Days that name no period (a start after the end, a day that does not exist) or a unit
    not open to the person: the page again, for the unit asked for when that one may be
    shown (else the first), with what was typed kept in its fields and the reason above."""
    session = db.session()
    try:
        scope = scope_from(
            session, me(), {"unit": request.args.get("unit", "")}, campaign=chosen_id()
        )
    except AppError:
        scope = scope_from(session, me(), {}, campaign=chosen_id())
    typed = {key: request.args.get(key, "") for key in ("from", "to")}
    return _index(scope, refusal=errors.in_words(error), typed=typed), error.status


def _index(
    scope: reports.ReportScope, *, refusal: str = "", typed: dict[str, str] | None = None
) -> str:
    session = db.session()
    by_township = request.args.get("by") == "township"
    table2 = reports.attachment2(session, scope)
    table3 = reports.attachment3(session, scope, by_township=by_township)
    return render_template(
        "reports/index.html",
        scope=scope,
        args=_args(),
        by_township=by_township,
        table2=table2,
        table3=table3,
        check=figures_check(
            session, me(), scope, table2, table3, asked=request.args.get("check") == "1"
        ),
        groups3=ATTACHMENT3_GROUPS,
        columns3=ATTACHMENT3_COLUMNS,
        units=reports.units_open_to(session, me()),
        counting_rule=reports.COUNTING_RULE,
        refusal=refusal,
        typed=typed,
        **filing_context(session, me(), scope, (table2, table3)),
    )


def _cell_page(
    title: str,
    endpoint: str,
    find: Callable[[Session, reports.ReportScope, int, int], reports.Evidence],
) -> str:
    """The records behind one cell of a table, a page at a time."""
    session = db.session()
    scope = scope_from(session, me(), request.args, campaign=chosen_id())
    page = page_arg()
    evidence = find(session, scope, EVIDENCE_PAGE, (page - 1) * EVIDENCE_PAGE)
    return render_template(
        "reports/cell.html",
        evidence=evidence,
        scope=scope,
        page=page,
        title=title,
        args=dict(request.args),
        endpoint=endpoint,
        per_page=EVIDENCE_PAGE,
        back=_args(),
    )


@bp.get("/attachment2/cell")
@allow(*REPORT_ROLES)
def attachment2_cell() -> str:
    args = request.args
    return _cell_page(
        "附件2 单元格明细",
        "reports.attachment2_cell",
        lambda session, scope, limit, offset: reports.attachment2_cell(
            session,
            scope,
            category=args.get("category", ""),
            programme=args.get("programme") or None,
            limit=limit,
            offset=offset,
        ),
    )


@bp.get("/attachment3/cell")
@allow(*REPORT_ROLES)
def attachment3_cell() -> str:
    args = request.args
    return _cell_page(
        "附件3 单元格明细",
        "reports.attachment3_cell",
        lambda session, scope, limit, offset: reports.attachment3_cell(
            session,
            scope,
            column=args.get("column", ""),
            row=args.get("row", ""),
            by_township=args.get("by") == "township",
            limit=limit,
            offset=offset,
        ),
    )


def xlsx_response(
    kind: str, scope: reports.ReportScope, by_township: bool, *, actor: User
) -> Response:
    """A statistics table as a download (pages and the API), recorded as taken by `actor`."""
    session = db.session()
    buffer = io.BytesIO()
    if kind == "attachment2":
        downloads.attachment2(session, scope, buffer, actor=actor)
        name = f"附件2_问题统计表_{scope.unit_code}.xlsx"
    else:
        downloads.attachment3(session, scope, buffer, by_township=by_township, actor=actor)
        name = f"附件3_问题情况汇总表_{scope.unit_code}.xlsx"
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.get("/attachment2.xlsx")
@allow(*REPORT_ROLES)
def attachment2_xlsx() -> Response:
    scope = scope_from(db.session(), me(), request.args, campaign=chosen_id())
    return xlsx_response("attachment2", scope, False, actor=me())


@bp.get("/attachment3.xlsx")
@allow(*REPORT_ROLES)
def attachment3_xlsx() -> Response:
    scope = scope_from(db.session(), me(), request.args, campaign=chosen_id())
    return xlsx_response("attachment3", scope, request.args.get("by") == "township", actor=me())
