from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from campaign import case_starts, case_views, choices, submissions
from core import clock
from engine import waits
from engine.host import CaseContext
from web import db, errors, once
from web.authz import allow
from web.campaign_choice import records_in_progress
from web.common import HOST, form_values, found, me
from web.roles import WORKING_ROLES

bp = Blueprint("cases", __name__)


@bp.get("/cases/new")
@allow(*WORKING_ROLES)
def index() -> str:
    offered = case_starts.startable(db.session(), HOST, me())
    return render_template("cases/index.html", offered=offered)


def _offer(key: str) -> case_starts.Startable:
    for offered in case_starts.startable(db.session(), HOST, me()):
        if offered.definition.key == key:
            return offered
    abort(404)


@bp.route("/cases/new/<key>", methods=["GET", "POST"])
@allow(*WORKING_ROLES)
@records_in_progress
def start(key: str) -> ResponseReturnValue:
    offered = _offer(key)
    unit_code = request.values.get("unit") or offered.units[0].code
    values = (
        form_values(request.form, offered.form) if offered.form and request.method == "POST" else {}
    )
    if request.method == "GET":
        return _start_page(offered, unit_code, values, {})
    errors.on_refusal(
        lambda error: _start_page(offered, unit_code, values, errors.field_errors(error), 422)
    )
    submission = once.claim()
    case = case_starts.start(db.session(), HOST, me(), key, unit_code, values, source="web")
    shown = url_for("cases.show", case_id=case.id)
    submissions.record(submission, f"已发起案件 #{case.id}。", shown)
    flash(f"已发起“{case.definition.name}”（案件 #{case.id}）", "success")
    return redirect(shown)


def _start_page(
    offered: case_starts.Startable,
    unit_code: str,
    values: dict[str, Any],
    field_errors: dict[str, str],
    status: int = 200,
) -> ResponseReturnValue:
    unit = next((u for u in offered.units if u.code == unit_code), offered.units[0])
    options: dict[str, list[tuple[str, str]]] = {}
    if offered.form is not None:
        context = CaseContext(owning_unit_id=unit.id)
        for spec in offered.form.fields:
            if spec.source:
                options[spec.name] = choices.options(db.session(), spec.source, context, values)
            elif spec.choices:
                options[spec.name] = list(spec.choices)
    return render_template(
        "cases/start.html",
        offered=offered,
        unit=unit,
        values=values,
        errors=field_errors,
        options=options,
        today=clock.local_now().date().isoformat(),
    ), status


@bp.get("/cases/<int:case_id>")
@allow(*WORKING_ROLES)
def show(case_id: int) -> str:
    shown = found(case_views.view(db.session(), me(), case_id))
    return render_template("cases/show.html", shown=shown, describe=waits.describe)
