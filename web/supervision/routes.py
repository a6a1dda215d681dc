from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from campaign import choices, submissions, supervision
from campaign.actors import actor_for
from campaign.models import Supervision, SupervisionPart, Unit
from campaign.models.supervision import SUPERVISION_SOURCES
from core import clock
from core.numbers import row_id
from engine.host import Assignment, CaseContext
from engine.models import WorkItem
from forms import registry
from web import db, errors, once
from web.authz import allow
from web.campaign_choice import chosen_id, records_in_progress
from web.common import HOST, form_values, found, me, working_page
from web.roles import SUPERVISOR, WORKING_ROLES

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


@bp.get("")
@allow(*WORKING_ROLES)
def index() -> str:
    """Every part the person may see; the figures on 督办 link here with state and source."""
    session = db.session()
    state = request.args.get("state", "")
    state = state if state in supervision.STATES else ""
    source = request.args.get("source", "")
    source = source if source in SUPERVISION_SOURCES else ""
    asked = request.args.get("unit", "")
    unit_id = row_id(asked)
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    if asked and unit is None:
        abort(404)  # a unit no longer there (or never): not every unit's parts unannounced
    # A page at a time: a province's orders reach every unit, and a list cut at 500 rows said
    # nothing of the rest.
    page = working_page(
        session,
        supervision.parts_query(
            session,
            me(),
            state=state,
            source=source,
            unit_id=unit.id if unit else None,
            campaign_id=chosen_id(),
        ),
        load=(selectinload(SupervisionPart.supervision), selectinload(SupervisionPart.unit)),
    )
    rows = page.items
    return render_template(
        "supervision/index.html",
        rows=rows,
        page=page,
        args={k: v for k, v in (("state", state), ("source", source), ("unit", unit_id)) if v},
        late=supervision.overdue_part_ids(session, rows),
        state=state,
        states=supervision.STATES,
        source=source,
        sources=SUPERVISION_SOURCES,
        unit=unit,
        issues=supervision.issues_orders(me()),
        today=clock.local_now().date(),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(SUPERVISOR)
@records_in_progress
def new() -> ResponseReturnValue:
    form = found(registry.get(supervision.ORDER_FORM))
    if not supervision.issues_orders(me()):
        abort(403)
    if request.method == "GET":
        return _new_page({}, {})
    values = form_values(request.form, form)
    errors.on_refusal(lambda error: _new_page(values, errors.field_errors(error), 422))
    submission = once.claim()
    order = supervision.issue(db.session(), HOST, me(), values)
    shown = url_for("supervision.show", order_id=order.id)
    submissions.record(submission, f"已下发督办单 {order.number}。", shown)
    return redirect(shown)


def _new_page(
    values: dict[str, Any], field_errors: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    form = found(registry.get(supervision.ORDER_FORM))
    options = {
        spec.name: (
            choices.options(db.session(), spec.source, CaseContext(), {})
            if spec.source
            else list(spec.choices)
        )
        for spec in form.fields
        if spec.source or spec.choices
    }
    return render_template(
        "supervision/new.html", form=form, values=values, errors=field_errors, options=options
    ), status


@bp.get("/<int:order_id>")
@allow(*WORKING_ROLES)
def show(order_id: int) -> str:
    session = db.session()
    order = found(session.get(Supervision, order_id))
    visible = [p for p in order.parts if supervision.may_see(session, me(), p)]
    if not visible:
        abort(404)
    return render_template(
        "supervision/show.html",
        order=order,
        parts=visible,
        late=supervision.overdue_part_ids(session, visible),
        workable=_workable(visible),
    )


def _workable(parts: list[SupervisionPart]) -> dict[int, WorkItem]:
    """The open step of each part that the person may work, to go to it from the order."""
    session = db.session()
    case_ids = [p.case_id for p in parts if p.case_id is not None]
    items = session.scalars(
        select(WorkItem).where(WorkItem.case_id.in_(case_ids), WorkItem.state == "open")
    )
    actor = actor_for(me())
    by_case = {
        i.case_id: i for i in items if HOST.may_act(session, actor, Assignment(i.unit_id, i.role))
    }
    return {p.id: by_case[p.case_id] for p in parts if p.case_id in by_case}
