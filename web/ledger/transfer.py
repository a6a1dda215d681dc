"""Excel in and out of the ledger: the import template, the upload of a filled sheet (all or
nothing, every bad row reported), and the download of the rows shown."""

from __future__ import annotations

import io
from typing import IO

from flask import render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from campaign import ledger_import, ledger_queries, ledger_staged, reports, submissions
from campaign.current import active_campaign
from campaign.models import User
from campaign.reports import downloads
from core.errors import AppError, InvalidInput
from web import db, errors, once
from web.authz import allow
from web.campaign_choice import chosen_id, records_in_progress
from web.common import HOST, me
from web.ledger.routes import bp
from web.reports.routes import XLSX
from web.roles import WORKING_ROLES


@bp.get("/ledger/template.xlsx")
@allow(*WORKING_ROLES)
def template() -> Response:
    buffer = io.BytesIO()
    reports.export_template(
        db.session(),
        active_campaign(db.session()).id,
        buffer,
        unit_code=request.args.get("unit") or None,
    )
    buffer.seek(0)
    return send_file(
        buffer, mimetype=XLSX, as_attachment=True, download_name="问题台账导入模板.xlsx"
    )


@bp.route("/ledger/import", methods=["GET", "POST"])
@allow(*WORKING_ROLES)
@records_in_progress
def import_sheet() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("ledger/import.html", result=None, refused=None)
    errors.on_refusal(_refused)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("请选择要导入的 Excel 文件（.xlsx）")
    dry_run = request.form.get("dry_run") == "1"
    if dry_run:  # only reads: on SQLite in a transaction that takes no lock
        user_id = me().id
        db.release()
        with db.database().reading() as session:
            result = ledger_import.import_ledger(
                session, HOST, session.get_one(User, user_id), upload.stream, dry_run=True
            )
    else:
        result = _import(upload.stream)
    if not result.ok:
        raise ledger_import.RowsRefused(result)
    return render_template("ledger/import.html", result=result, refused=None)


def _import(stream: IO[bytes]) -> ledger_import.ImportResult:
    """The import in a transaction of its own (campaign.ledger_staged: on SQLite other
    requests keep writing while it runs), with the form's token claimed in it. The
    request's own transaction is committed first, so that it holds no lock meanwhile."""
    token = request.form.get(once.FIELD)
    submissions.refuse_used(db.session(), token)
    user_id = me().id
    db.release()
    location = url_for("ledger.index")

    def claimed(session: Session, result: ledger_import.ImportResult) -> None:
        submission = submissions.claim(session, session.get_one(User, user_id), token)
        submissions.record(
            submission,
            f"已导入 {len(result.created)} 条问题：{result.created[0]} 至 {result.created[-1]}。",
            location,
        )

    return ledger_staged.import_staged(db.database(), HOST, user_id, stream, finish=claimed)


def _refused(error: AppError) -> ResponseReturnValue:
    if isinstance(error, ledger_import.RowsRefused):
        return render_template("ledger/import.html", result=error.result, refused=None), 422
    return render_template("ledger/import.html", result=None, refused=str(error)), error.status


@bp.get("/ledger/export.xlsx")
@allow(*WORKING_ROLES)
def export() -> Response:
    """The rows the ledger page shows (same filters, same visibility), as the 整改台账; it
    imports again."""
    session = db.session()
    buffer = io.BytesIO()
    filters = ledger_queries.LedgerFilters.from_args(request.args)
    filters.campaign_id = chosen_id()
    downloads.ledger_shown(session, filters.campaign_id, me(), filters, buffer)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name="问题台账.xlsx")
