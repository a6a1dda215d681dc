from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from campaign import choices, submissions, tip_off_intake, tip_offs
from campaign.masking import mask_text
from campaign.models import TipOff
from campaign.models.tip_offs import TIP_OFF_STATUS_LABELS
from engine.host import CaseContext
from forms import registry
from web import db, errors, once
from web.authz import allow
from web.campaign_choice import chosen_id, records_in_progress
from web.common import HOST, form_values, found, me, refreshing_choices, working_page
from web.roles import SUPERVISOR, WORKING_ROLES

bp = Blueprint("tip_offs", __name__, url_prefix="/tip-offs")

_GIVEN_CODE = "tip_off_code_for"


def _visible(tip_off_id: int) -> TipOff:
    tip_off = found(db.session().get(TipOff, tip_off_id))
    if not tip_offs.may_see(db.session(), me(), tip_off):
        abort(404)
    return tip_off


@bp.get("")
@allow(*WORKING_ROLES)
def index() -> str:
    status = request.args.get("status", "")
    status = status if status in TIP_OFF_STATUS_LABELS else ""
    page = working_page(
        db.session(),
        tip_offs.listed_query(db.session(), me(), status, campaign_id=chosen_id()),
    )
    return render_template(
        "tip_offs/index.html",
        rows=page.items,
        page=page,
        args={"status": status} if status else {},
        status=status,
        statuses=TIP_OFF_STATUS_LABELS,
        masked=tip_offs.masked_phone,
        takes_calls=tip_off_intake.takes_phone_reports(me()),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(SUPERVISOR)
@records_in_progress
def new() -> ResponseReturnValue:
    form = found(registry.get("tip_off_phoned"))
    if not tip_off_intake.takes_phone_reports(me()):
        abort(403)
    if request.method == "GET":
        return _new_page({}, {})
    values = form_values(request.form, form)
    if refreshing_choices():
        return _new_page(values, {})
    errors.on_refusal(lambda error: _new_page(values, errors.field_errors(error), 422))
    submission = once.claim()
    tip_off = tip_off_intake.submit_phoned(db.session(), HOST, me(), values)
    shown = url_for("tip_offs.show", tip_off_id=tip_off.id)
    submissions.record(submission, f"已登记电话举报 {tip_off.number}。", shown)
    session[_GIVEN_CODE] = [tip_off.id, tip_off.code]
    return redirect(shown)


def _new_page(
    values: dict[str, Any], field_errors: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    form = found(registry.get("tip_off_phoned"))
    options = choices.form_options(db.session(), form, CaseContext(), values)
    return render_template(
        "tip_offs/new.html", form=form, values=values, errors=field_errors, options=options
    ), status


@bp.get("/<int:tip_off_id>")
@allow(*WORKING_ROLES)
def show(tip_off_id: int) -> str:
    tip_off = _visible(tip_off_id)
    given = session.pop(_GIVEN_CODE, None)
    code = (
        tip_off_intake.shown_code(given[1])
        if isinstance(given, list) and given and given[0] == tip_off.id
        else ""
    )
    return _detail(tip_off, code=code, phone=None)


@bp.post("/<int:tip_off_id>/phone")
@allow(*WORKING_ROLES)
def reveal_phone(tip_off_id: int) -> str:
    tip_off = _visible(tip_off_id)
    return _detail(tip_off, code="", phone=tip_offs.reveal_phone(db.session(), me(), tip_off))


def _detail(tip_off: TipOff, *, code: str, phone: str | None) -> str:
    """`phone` is the caller's number in full once asked for (and recorded), else None."""
    revealed = phone is not None
    return render_template(
        "tip_offs/show.html",
        tip_off=tip_off,
        code=code,
        revealed=revealed,
        phone=phone if revealed else tip_offs.masked_phone(tip_off),
        contact=tip_off.contact if revealed else mask_text(tip_off.contact),
        account=tip_off.account if revealed else mask_text(tip_off.account),
    )
