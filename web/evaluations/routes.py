from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from campaign import evaluations, submissions
from campaign.models import Evaluation
from campaign.models.evaluations import EVALUATION_STATUS_LABELS, MONEY, SATISFACTION
from core import paging
from core.numbers import row_id
from forms import registry
from web import db, errors, once
from web.authz import allow
from web.campaign_choice import chosen_id
from web.common import HOST, found, me, working_page
from web.roles import SUPERVISOR, WORKING_ROLES

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")

_STATES = {**EVALUATION_STATUS_LABELS, "overdue": "逾期未回访"}


def _filters(values: Mapping[str, str]) -> dict[str, str]:
    """The drill-down's filters asked for, each one it knows or none."""
    known = {"status": _STATES, "satisfaction": SATISFACTION, "money": MONEY}
    return {
        name: v if (v := values.get(name, "")) in allowed else "" for name, allowed in known.items()
    }


@bp.get("")
@allow(*WORKING_ROLES)
def index() -> str:
    """The figures' drill-down: by state, satisfaction and money; the office also sees the
    closed problems not yet evaluated, to send them for a visit."""
    return _page(request.args)


def _page(values: Mapping[str, str], typed: dict[str, str] | None = None, refusal: str = "") -> str:
    """The lists as `values` ask (filters, both pages); a refused visit shows again in its
    problem's row with what was typed (`typed`) and why (`refusal`)."""
    session = db.session()
    shown = _filters(values)
    status, satisfaction, money = shown["status"], shown["satisfaction"], shown["money"]
    office = evaluations.requests_visits(me())
    page = working_page(
        session,
        evaluations.listed_query(
            session,
            me(),
            status=status,
            satisfaction=satisfaction,
            money=money,
            campaign_id=chosen_id(),
        ),
        number=paging.page_number(values.get("page")),
    )
    waiting = (
        working_page(
            session,
            evaluations.closed_without_evaluation_query(session, campaign_id=chosen_id()),
            "waiting_page",
            number=paging.page_number(values.get("waiting_page")),
        )
        if office
        else None
    )
    return render_template(
        "evaluations/index.html",
        rows=page.items,
        page=page,
        # Each list's pager keeps the filters and the other list's page.
        args={k: v for k, v in shown.items() if v}
        | ({"waiting_page": waiting.number} if waiting and waiting.number > 1 else {}),
        waiting_args={k: v for k, v in shown.items() if v}
        | ({"page": page.number} if page.number > 1 else {})
        | {"_anchor": "waiting"},
        status=status,
        satisfaction=satisfaction,
        money=money,
        states=_STATES,
        satisfactions=SATISFACTION,
        moneys=MONEY,
        waiting=waiting,
        request_form=registry.get(evaluations.REQUEST_FORM),
        typed=typed or {},
        refusal=refusal,
    )


@bp.post("/request")
@allow(SUPERVISOR)
def request_visit() -> Response:
    form = request.form
    # Back to the lists as they were shown: their filters and both pages, checked first.
    kept: dict[str, Any] = {name: value for name, value in _filters(form).items() if value}
    for name in ("page", "waiting_page"):
        if (number := paging.page_number(form.get(name))) > 1:
            kept[name] = number
    back = url_for("evaluations.index", **kept, _anchor="waiting")
    typed = {name: form.get(name, "") for name in ("problem", "method", "due_on")}
    errors.on_refusal(lambda error: (_page(form, typed, f"未安排回访：{error}"), 422))
    problem_id = row_id(typed["problem"])
    if problem_id is None:
        abort(400)
    submission = once.claim()
    evaluation = evaluations.request_visit(
        db.session(), HOST, me(), problem_id, {"method": typed["method"], "due_on": typed["due_on"]}
    )
    message = f"已安排对问题 {evaluation.problem.number} 的{evaluation.method_label}。"
    submissions.record(submission, message, back)
    flash(message, "success")
    return redirect(back)


@bp.get("/<int:evaluation_id>")
@allow(*WORKING_ROLES)
def show(evaluation_id: int) -> str:
    evaluation = found(db.session().get(Evaluation, evaluation_id))
    if not evaluations.may_see(db.session(), me(), evaluation):
        abort(404)
    return render_template("evaluations/show.html", evaluation=evaluation)
