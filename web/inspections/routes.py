from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from campaign import inspections, submissions
from campaign.models import Inspection
from engine.models import WorkItem
from forms import registry
from web import db, errors, once
from web.authz import allow
from web.campaign_choice import chosen_id, records_in_progress
from web.common import HOST, form_values, found, me, working_page
from web.roles import SUPERVISOR

bp = Blueprint("inspections", __name__, url_prefix="/inspections")


@bp.get("")
@allow(SUPERVISOR)
def index() -> str:
    page = working_page(
        db.session(),
        inspections.listed_query(db.session(), chosen_id()),
    )
    return render_template(
        "inspections/index.html",
        rows=page.items,
        page=page,
        records=inspections.records_visits(me()),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(SUPERVISOR)
@records_in_progress
def new() -> ResponseReturnValue:
    form = found(registry.get(inspections.START_FORM))
    if not inspections.records_visits(me()):
        abort(403)
    if request.method == "GET":
        return _new_page({}, {})
    values = form_values(request.form, form)
    errors.on_refusal(lambda error: _new_page(values, errors.field_errors(error), 422))
    submission = once.claim()
    visit = inspections.start(db.session(), HOST, me(), values)
    shown = url_for("inspections.show", visit_id=visit.id)
    message = f"已登记明察暗访 {visit.number}。"
    submissions.record(submission, message, shown)
    flash(message, "success")
    return redirect(shown)


def _new_page(
    values: dict[str, Any], field_errors: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    form = found(registry.get(inspections.START_FORM))
    return render_template(
        "inspections/new.html", form=form, values=values, errors=field_errors, options={}
    ), status


@bp.get("/<int:visit_id>")
@allow(SUPERVISOR)
def show(visit_id: int) -> str:
    session = db.session()
    visit = found(session.get(Inspection, visit_id))
    if not inspections.may_see(session, me(), visit):
        abort(404)
    step = (
        session.scalars(
            select(WorkItem).where(WorkItem.case_id == visit.case_id, WorkItem.state == "open")
        ).first()
        if visit.case_id
        else None
    )
    return render_template("inspections/show.html", visit=visit, step=step)
