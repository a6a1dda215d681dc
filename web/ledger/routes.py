from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.wrappers import Response

from campaign import choices, ledger_queries, problems, submissions, tip_offs, visibility
from campaign.models import Clue, Problem, TipOff, Unit
from campaign.models.ledger import STATUS_LABELS
from core.errors import AppError, InvalidInput
from engine.host import CaseContext
from forms import registry
from web import db, errors, once
from web.authz import allow
from web.campaign_choice import chosen_id, records_in_progress
from web.common import HOST, form_values, found, me, page_arg, parse_date
from web.roles import WORKING_ROLES

bp = Blueprint("ledger", __name__)


def _visible(problem_id: int) -> Problem:
    problem = found(db.session().get(Problem, problem_id))
    if not visibility.may_see_problem(db.session(), me(), problem):
        abort(404)
    return problem


@bp.get("/ledger")
@allow(*WORKING_ROLES)
def index() -> str:
    filters = ledger_queries.LedgerFilters.from_args(request.args)
    filters.campaign_id = chosen_id()
    found = ledger_queries.page(db.session(), me(), filters, page_arg())
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "ledger/index.html",
        rows=found.items,
        total=found.total,
        exact=found.exact,
        filters=filters,
        page=found.number,
        pages=found.pages,
        args=args,
        statuses=STATUS_LABELS,
        units=problems.ledger_unit_names(db.session()),
        choices=ledger_queries.filter_choices(db.session(), me(), filters),
        # 登记问题 and 从 Excel 导入 only for whoever may register for some unit (the
        # commission, for one, registers none: its buttons led to a refusal).
        may_register=bool(problems.registering_units(db.session(), me())),
    )


@bp.get("/problems/<int:problem_id>")
@allow(*WORKING_ROLES)
def show(problem_id: int) -> str:
    return _problem_page(_visible(problem_id))


def _problem_page(problem: Problem, reopening: dict[str, str] | None = None) -> str:
    """A problem's page; `reopening`: what was typed in its 重新打开 form when it was refused,
    with the refusal under "error", shown in the form again."""
    session = db.session()
    return render_template(
        "ledger/show.html",
        problem=problem,
        source_label=_source_labels().get(problem.source, problem.source),
        history=problems.history(session, problem),
        evidence=problems.evidence(session, problem),
        clues=list(session.scalars(select(Clue).where(Clue.problem_id == problem.id))),
        tip_off=_tip_off_of(problem),
        may_reopen=problems.may_reopen(me(), problem),
        reopening=reopening or {},
    )


def _tip_off_of(problem: Problem) -> TipOff | None:
    """The report from the public the entry was registered from, when the person may see it."""
    tip_off = db.session().scalar(select(TipOff).where(TipOff.problem_id == problem.id))
    return (
        tip_off if tip_off is not None and tip_offs.may_see(db.session(), me(), tip_off) else None
    )


def _source_labels() -> dict[str, str]:
    form = registry.get("register_problem")
    spec = next((f for f in form.fields if f.name == "source"), None) if form else None
    return dict(spec.choices) if spec else {}


@bp.route("/problems/new", methods=["GET", "POST"])
@allow(*WORKING_ROLES)
@records_in_progress
def new() -> ResponseReturnValue:
    session = db.session()
    form = found(registry.get("register_problem"))
    units = problems.registering_units(session, me())
    unit_code = request.values.get("unit") or (units[0].code if units else "")
    values = form_values(request.form, form) if request.method == "POST" else {}
    if request.method == "GET":
        return _new_page(unit_code, values, {})
    errors.on_refusal(lambda error: _new_page(unit_code, values, _field_errors(error), 422))
    submission = once.claim()
    problem = problems.register(session, HOST, me(), unit_code, values)
    shown = url_for("ledger.show", problem_id=problem.id)
    submissions.record(submission, f"已登记问题 {problem.number}。", shown)
    flash(f"已登记问题 {problem.number}，已送本单位负责人审核", "success")
    return redirect(shown)


def _field_errors(error: AppError) -> dict[str, str]:
    if isinstance(error, InvalidInput) and error.fields:
        return error.fields
    return {"": str(error)}


def _new_page(
    unit_code: str, values: dict[str, Any], field_errors: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    session = db.session()
    form = found(registry.get("register_problem"))
    unit = session.scalars(select(Unit).where(Unit.code == unit_code)).first()
    context = CaseContext(owning_unit_id=unit.id if unit else None)
    options = {
        spec.name: (
            choices.options(session, spec.source, context, values)
            if spec.source
            else list(spec.choices)
        )
        for spec in form.fields
        if spec.type == "choice"
    }
    return render_template(
        "ledger/new.html",
        form=form,
        values=values,
        errors=field_errors,
        options=options,
        units=problems.registering_units(session, me()),
        unit=unit,
    ), status


@bp.post("/problems/<int:problem_id>/reopen")
@allow(*WORKING_ROLES)
def reopen(problem_id: int) -> Response:
    problem = _visible(problem_id)
    back = url_for("ledger.show", problem_id=problem.id)
    typed = {name: request.form.get(name, "") for name in ("visited_on", "finding")}
    errors.on_refusal(
        lambda error: (
            _problem_page(_visible(problem_id), typed | {"error": str(error)}),
            error.status,
        )
    )
    problems.reopen(
        db.session(),
        HOST,
        me(),
        problem,
        visited_on=parse_date(request.form.get("visited_on", ""), "请填写正确的回访日期"),
        finding=request.form.get("finding", ""),
    )
    flash("问题已重新打开，已送本单位负责人审核", "success")
    return redirect(back)
