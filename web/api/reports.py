from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from web import db
from web.api.blueprint import api_user, bp
from web.authz import allow
from web.reports.routes import xlsx_response
from web.reports.scoping import scope_from
from web.roles import REPORT_ROLES


@bp.get("/reports/attachment2.xlsx")
@allow(*REPORT_ROLES, api=True)
def attachment2_xlsx() -> Response:
    scope = scope_from(db.session(), api_user(), request.args)
    return xlsx_response("attachment2", scope, False, actor=api_user())


@bp.get("/reports/attachment3.xlsx")
@allow(*REPORT_ROLES, api=True)
def attachment3_xlsx() -> Response:
    scope = scope_from(db.session(), api_user(), request.args)
    by_township = request.args.get("by") == "township"
    return xlsx_response("attachment3", scope, by_township, actor=api_user())
