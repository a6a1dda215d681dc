from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from campaign import accountability, choices, report_overview, submissions
from campaign.models import Accountability
from campaign.models.accountability import ACCOUNTABILITY_STATUS_LABELS
from engine.host import CaseContext
from engine.models import WorkItem
from forms import registry
from web import db, errors, once
from web.authz import allow
from web.campaign_choice import chosen_id, records_in_progress
from web.common import HOST, form_values, found, me, working_page
from web.roles import SUPERVISOR, WORKING_ROLES

bp = Blueprint("accountability", __name__, url_prefix="/accountability")


@bp.get("")
@allow(*WORKING_ROLES)
def index() -> str:
    status = request.args.get("status", "")
    status = status if status in ACCOUNTABILITY_STATUS_LABELS else ""
    page = working_page(
        db.session(),
        accountability.listed_query(db.session(), me(), status, campaign_id=chosen_id()),
    )
    return render_template(
        "accountability/index.html",
        rows=page.items,
        page=page,
        args={"status": status} if status else {},
        status=status,
        statuses=ACCOUNTABILITY_STATUS_LABELS,
        proposes=accountability.proposes(me()),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(SUPERVISOR)
@records_in_progress
def new() -> ResponseReturnValue:
    """GET ?unit=CODE lists that unit's overdue tasks and returned reports to pick from."""
    form = found(registry.get(accountability.PROPOSE_FORM))
    if not accountability.proposes(me()):
        abort(403)
    if request.method == "GET":
        return _new_page({"unit": request.args.get("unit", "")[:32]}, {})
    values = form_values(request.form, form)
    errors.on_refusal(lambda error: _new_page(values, errors.field_errors(error), 422))
    submission = once.claim()
    decision = accountability.propose(db.session(), HOST, me(), values)
    shown = url_for("accountability.show", decision_id=decision.id)
    submissions.record(submission, f"已提出问责建议 {decision.number}。", shown)
    return redirect(shown)


def _new_page(
    values: dict[str, Any], field_errors: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    form = found(registry.get(accountability.PROPOSE_FORM))
    options = {
        spec.name: (
            choices.options(db.session(), spec.source, CaseContext(), values)
            if spec.source
            else list(spec.choices)
        )
        for spec in form.fields
        if spec.source or spec.choices
    }
    return render_template(
        "accountability/new.html", form=form, values=values, errors=field_errors, options=options
    ), status


@bp.get("/<int:decision_id>")
@allow(*WORKING_ROLES)
def show(decision_id: int) -> str:
    session = db.session()
    decision = found(session.get(Accountability, decision_id))
    if not accountability.may_see(session, me(), decision):
        abort(404)
    item_ids = [g.work_item_id for g in decision.grounds_items if g.work_item_id]
    items = {i.id: i for i in session.scalars(select(WorkItem).where(WorkItem.id.in_(item_ids)))}
    return render_template(
        "accountability/show.html",
        decision=decision,
        items=items,
        office=accountability.proposes(me()),
        report_state=lambda report: report_overview.STATES[report_overview.state_of(report)],
    )
