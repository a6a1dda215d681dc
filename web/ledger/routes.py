from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.wrappers import Response

from campaign import choices, ledger_queries, problems, submissions, visibility
from campaign.errors import CampaignError
from campaign.models import Clue, Problem, ProblemStatus, Unit
from campaign.models.ledger import STATUS_LABELS
from campaign.models.org import UnitKind
from campaign.submissions import AlreadySubmitted
from engine.errors import NotAllowed
from engine.host import CaseContext, FormInvalid
from forms import registry
from web import db, once
from web.authz import allow
from web.common import HOST, form_values, found, me
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
    number = request.args.get("page", 1, type=int)
    rows, total = ledger_queries.page(db.session(), me(), filters, number)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "ledger/index.html",
        rows=rows,
        total=total,
        filters=filters,
        page=number,
        pages=max(1, -(-total // ledger_queries.PER_PAGE)),
        args=args,
        statuses=STATUS_LABELS,
        units=_units(),
    )


def _units() -> list[Unit]:
    return list(
        db.session().scalars(
            select(Unit)
            .where(Unit.kind.in_([UnitKind.TOWNSHIP.value, UnitKind.DEPARTMENT.value]))
            .order_by(Unit.code)
        )
    )


@bp.get("/problems/<int:problem_id>")
@allow(*WORKING_ROLES)
def show(problem_id: int) -> str:
    session = db.session()
    problem = _visible(problem_id)
    return render_template(
        "ledger/show.html",
        problem=problem,
        source_label=_source_labels().get(problem.source, problem.source),
        history=problems.history(session, problem),
        clues=list(session.scalars(select(Clue).where(Clue.problem_id == problem.id))),
        may_reopen=problem.status == ProblemStatus.CLOSED.value
        and (me().has_role("supervisor") or me().has_role("reviewer", problem.unit_id)),
    )


def _source_labels() -> dict[str, str]:
    form = registry.get("register_problem")
    spec = next((f for f in form.fields if f.name == "source"), None) if form else None
    return dict(spec.choices) if spec else {}


def _registering_units() -> list[Unit]:
    session = db.session()
    user = me()
    if user.has_role("supervisor"):
        return _units()
    ids = {r.unit_id for r in user.roles if r.role in ("officer", "reviewer")}
    return list(session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.code)))


@bp.route("/problems/new", methods=["GET", "POST"])
@allow(*WORKING_ROLES)
def new() -> ResponseReturnValue:
    session = db.session()
    form = found(registry.get("register_problem"))
    units = _registering_units()
    unit_code = request.values.get("unit") or (units[0].code if units else "")
    unit = session.scalars(select(Unit).where(Unit.code == unit_code)).first()
    values = form_values(request.form, form) if request.method == "POST" else {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST" and unit is not None:
        try:
            submission = once.claim()
            problem = problems.register(session, HOST, me(), unit.code, values)
        except AlreadySubmitted as repeat:
            session.rollback()
            flash(str(repeat), "info")
            return redirect(repeat.location or url_for("ledger.index"))
        except FormInvalid as invalid:
            session.rollback()
            errors, status = invalid.errors, 422
        except (NotAllowed, CampaignError) as refused:
            session.rollback()
            errors, status = {"": str(refused)}, 422
        else:
            shown = url_for("ledger.show", problem_id=problem.id)
            submissions.record(submission, f"已登记问题 {problem.number}。", shown)
            flash(f"已登记问题 {problem.number}，已送本单位负责人审核", "success")
            return redirect(shown)
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
        errors=errors,
        options=options,
        units=units,
        unit=unit,
    ), status


@bp.post("/problems/<int:problem_id>/reopen")
@allow(*WORKING_ROLES)
def reopen(problem_id: int) -> Response:
    problem = _visible(problem_id)
    try:
        visited = date.fromisoformat(request.form.get("visited_on", ""))
    except ValueError:
        flash("请填写正确的回访日期", "error")
        return redirect(url_for("ledger.show", problem_id=problem.id))
    try:
        problems.reopen(
            db.session(),
            HOST,
            me(),
            problem,
            visited_on=visited,
            finding=request.form.get("finding", ""),
        )
        flash("问题已重新打开，已送本单位负责人审核", "success")
    except (NotAllowed, CampaignError) as refused:
        db.session().rollback()
        flash(str(refused), "error")
    return redirect(url_for("ledger.show", problem_id=problem.id))
