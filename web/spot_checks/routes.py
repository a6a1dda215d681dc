"""重点抽查名单 and the households' results; 自查走访 of villages (campaign.spot_checks,
campaign.village_visits)."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from campaign import (
    choices,
    key_check_revisits,
    spot_check_corrections,
    spot_check_lists,
    spot_checks,
    submissions,
    village_visits,
)
from campaign.models import Obligation, Unit
from campaign.models.accounts import Role
from core.errors import NotAllowed
from engine.host import CaseContext
from forms import registry
from web import db, errors, once
from web.authz import allow
from web.campaign_choice import chosen, chosen_id
from web.common import HOST, form_values, found, me, working_page
from web.roles import WORKING_ROLES

bp = Blueprint("spot_checks", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROUNDS = (spot_checks.TOWNSHIP_ROUND, spot_checks.DISTRICT_ROUND)


@bp.get("/spot-checks/<int:obligation_id>")
@allow(*WORKING_ROLES)
def show(obligation_id: int) -> str:
    session = db.session()
    obligation = spot_checks.spot_check(session, me(), obligation_id)
    return render_template(
        "spot_checks/show.html",
        obligation=obligation,
        sheet=spot_checks.sheet(session, obligation),
        may_record=_may_record(obligation),
        labels=spot_check_lists,
        revisit=_to_revisit(obligation),
    )


def _to_revisit(obligation: Obligation) -> set[int]:
    """The households the person's inspection team re-visits (none for anyone else)."""
    if not me().has_role(Role.INSPECTOR.value):
        return set()
    session = db.session()
    try:
        check = key_check_revisits.check_for(session, me(), obligation)
    except NotAllowed:
        return set()
    return {h.sample.id for h in key_check_revisits.to_revisit(session, check)}


@bp.get("/spot-checks/<int:obligation_id>/roster")
@allow(*WORKING_ROLES)
def roster(obligation_id: int) -> str:
    """The 名单 to print, one page per village (or the one village asked for)."""
    session = db.session()
    obligation = spot_checks.spot_check(session, me(), obligation_id)
    return render_template(
        "spot_checks/roster.html",
        obligation=obligation,
        sheet=spot_checks.sheet(session, obligation, request.args.get("village", "")),
        labels=spot_check_lists,
    )


@bp.get("/spot-checks/<int:obligation_id>/sample.xlsx")
@allow(*WORKING_ROLES)
def workbook(obligation_id: int) -> Response:
    session = db.session()
    obligation = spot_checks.spot_check(session, me(), obligation_id)
    buffer = io.BytesIO()
    spot_check_lists.export(session, me(), spot_checks.sheet(session, obligation), buffer)
    buffer.seek(0)
    name = f"{obligation.unit.name}重点抽查名单.xlsx"
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.route("/spot-checks/<int:obligation_id>/households/<int:sample_id>", methods=["GET", "POST"])
@allow(*WORKING_ROLES)
def household(obligation_id: int, sample_id: int) -> ResponseReturnValue:
    session = db.session()
    round = _round()
    obligation = spot_checks.spot_check(session, me(), obligation_id)
    if request.method == "GET":
        return _household_page(obligation, sample_id, round, {}, {})
    form = found(registry.get(spot_checks.FORM_FOR[round]))
    values = form_values(request.form, form)
    errors.on_refusal(
        lambda error: _household_page(
            obligation_id, sample_id, round, values, errors.field_errors(error), error.status
        )
    )
    submission = once.claim()
    if round == spot_checks.DISTRICT_ROUND:
        result = key_check_revisits.record(session, HOST, me(), obligation_id, sample_id, values)
    else:
        result = spot_checks.record_result(session, HOST, me(), obligation_id, sample_id, values)
    back = url_for("spot_checks.show", obligation_id=obligation_id)
    back += f"#v{result.sample.village_id}"
    note = f"，已登记问题台账 {result.problem.number}" if result.problem else ""
    submissions.record(submission, f"核查结果已登记{note}。", back)
    flash(f"户 {result.sample.household.code} 的核查结果已登记{note}", "success")
    return redirect(back)


@bp.post("/spot-checks/<int:obligation_id>/households/<int:sample_id>/correction")
@allow(*WORKING_ROLES)
def correction(obligation_id: int, sample_id: int) -> ResponseReturnValue:
    """更正 a recorded result; a refusal shows the correction form again with every input."""
    session = db.session()
    round = _round()
    form = found(registry.get(spot_checks.FORM_FOR[round]))
    values = form_values(request.form, form)
    values[spot_check_corrections.REASON] = request.form.get(spot_check_corrections.REASON, "")
    errors.on_refusal(
        lambda error: _household_page(
            obligation_id, sample_id, round, values, errors.field_errors(error), error.status
        )
    )
    submission = once.claim()
    result = spot_check_corrections.correct(
        session, HOST, me(), obligation_id, sample_id, values, round=round
    )
    back = url_for(
        "spot_checks.household", obligation_id=obligation_id, sample_id=sample_id, round=round
    )
    note = f"，已登记问题台账 {result.problem.number}" if result.problem else ""
    submissions.record(submission, f"核查结果已更正{note}。", back)
    flash(f"户 {result.sample.household.code} 的核查结果已更正{note}", "success")
    return redirect(back)


def _round() -> str:
    round = request.args.get("round", spot_checks.TOWNSHIP_ROUND)
    return round if round in ROUNDS else spot_checks.TOWNSHIP_ROUND


def _household_page(
    obligation: Obligation | int,
    sample_id: int,
    round: str,
    values: dict[str, Any],
    field_errors: dict[str, str],
    status: int = 200,
) -> ResponseReturnValue:
    """The result form of one household; after a refusal (rolled back) with every input."""
    session = db.session()
    if isinstance(obligation, int):
        obligation = spot_checks.spot_check(session, me(), obligation)
    listed = spot_checks.sampled_household(session, obligation, sample_id)
    form = found(registry.get(spot_checks.FORM_FOR[round]))
    context = CaseContext(owning_unit_id=obligation.unit_id, subject_type="obligation")
    options = {
        spec.name: (
            choices.options(session, spec.source, context, values)
            if spec.source
            else list(spec.choices)
        )
        for spec in form.fields
        if spec.source or spec.choices
    }
    done = listed.result if round == spot_checks.TOWNSHIP_ROUND else listed.recheck
    may_correct = done is not None and spot_check_corrections.may_correct(
        session, me(), obligation, sample_id, round
    )
    if may_correct and done is not None and not values:
        values = spot_check_corrections.form_values(done)
    return render_template(
        "spot_checks/household.html",
        obligation=obligation,
        listed=listed,
        village=session.get(Unit, listed.sample.village_id),
        round=round,
        done=done,
        may_correct=may_correct,
        reason_field=spot_check_corrections.REASON,
        form=form,
        values=values,
        errors=field_errors,
        options=options,
        may_record=(
            _may_record(obligation)
            if round == spot_checks.TOWNSHIP_ROUND
            else listed.sample.id in _to_revisit(obligation)
        ),
        labels=spot_check_lists,
    ), status


def _may_record(obligation: Obligation) -> bool:
    return spot_checks.may_record(me(), obligation)


@bp.route("/visits", methods=["GET", "POST"])
@allow(*WORKING_ROLES)
def visits() -> ResponseReturnValue:
    session = db.session()
    township = village_visits.township_for(session, me(), request.args.get("township", ""))
    if request.method == "GET":
        return _visits_page(township.code, {}, {})
    form = found(registry.get(village_visits.FORM))
    values = form_values(request.form, form)
    errors.on_refusal(
        lambda error: _visits_page(township.code, values, errors.field_errors(error), error.status)
    )
    submission = once.claim()
    visit = village_visits.record(session, HOST, me(), township.code, values)
    back = url_for("spot_checks.visits", township=township.code)
    submissions.record(submission, "走访记录已登记。", back)
    flash(f"已登记 {visit.visited_on} 到{visit.village.name}的走访", "success")
    return redirect(back)


def _visits_page(
    township_code: str, values: dict[str, Any], field_errors: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    session = db.session()
    township = village_visits.township_for(session, me(), township_code)
    form = found(registry.get(village_visits.FORM))
    context = CaseContext(owning_unit_id=township.id)
    options = {
        spec.name: choices.options(session, spec.source, context, values)
        for spec in form.fields
        if spec.source
    }
    coverage = next(iter(village_visits.coverage(session, chosen(), township)), None)
    return render_template(
        "spot_checks/visits.html",
        township=township,
        townships=village_visits.townships_of(session, me()),
        visits=working_page(
            session,
            village_visits.visits_of(session, township, campaign_id=chosen_id()),
        ),
        coverage=coverage,
        form=form,
        values=values,
        errors=field_errors,
        options=options,
    ), status
