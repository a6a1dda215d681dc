"""我要举报 on the portal: the form (no login), the query code given once, and the query page.

The code is handed from the form to the page that shows it through the session cookie, so a
reload of that page or of the form never submits twice and the code is never in an address
(where logs and browser history would keep it); the query form is sent by POST for the same
reason."""

from __future__ import annotations

from typing import Any

from flask import jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from campaign import campaigns, choices, tip_off_intake
from engine.host import CaseContext
from forms import registry
from web import db, errors
from web.authz import allow
from web.common import HOST, form_values, found, refreshing_choices
from web.public import bp
from web.security import client_address

_GIVEN_CODE = "tip_off_code"


@bp.route("/report", methods=["GET", "POST"])
@allow(public=True)
def report() -> ResponseReturnValue:
    form = found(registry.get("tip_off_report"))
    if request.method == "GET":
        return _form_page({}, {})
    values = form_values(request.form, form)
    values[tip_off_intake.HONEYPOT_FIELD] = request.form.get(tip_off_intake.HONEYPOT_FIELD, "")
    if refreshing_choices():
        return _form_page(values, {})
    errors.on_refusal(lambda error: _form_page(values, errors.field_errors(error), 422))
    tip_off = tip_off_intake.submit_from_portal(
        db.session(), HOST, values, address=client_address()
    )
    session[_GIVEN_CODE] = tip_off.code
    return redirect(url_for("public.report_received"))


def _form_page(
    values: dict[str, Any], field_errors: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    form = found(registry.get("tip_off_report"))
    values = {k: v for k, v in values.items() if k != tip_off_intake.HONEYPOT_FIELD}
    options = choices.form_options(db.session(), form, CaseContext(), values)
    return render_template(
        "public/report.html",
        form=form,
        values=values,
        errors=field_errors,
        options=options,
        honeypot=tip_off_intake.HONEYPOT_FIELD,
        phone=campaigns.report_phone(db.session()),
    ), status


@bp.get(f"/choices/<any({', '.join(choices.DEPENDENT_SOURCES)}):source>")
@allow(public=True)
def dependent_choices(source: str) -> ResponseReturnValue:
    """The choices of a field that depends on another, for that one's value (the villages
    of the township chosen), fetched by choice-depends.js as the form is filled in; no
    other source is answered here."""
    needed = choices.DEPENDENT_SOURCES[source]
    value = request.args.get(needed, "").strip()[:64]
    rows = choices.options(db.session(), source, CaseContext(), {needed: value}) if value else []
    return jsonify(options=[{"value": code, "label": label} for code, label in rows])


@bp.get("/report/received")
@allow(public=True)
def report_received() -> ResponseReturnValue:
    code = session.pop(_GIVEN_CODE, None)
    if not isinstance(code, str):  # shown once: a reload sends the reporter to the query page
        return redirect(url_for("public.report_status"))
    return render_template("public/report_received.html", code=tip_off_intake.shown_code(code))


@bp.route("/report/status", methods=["GET", "POST"])
@allow(public=True)
def report_status() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("public/report_status.html", typed="", error="", shown=None)
    typed = (request.form.get("code") or "")[:64]
    errors.on_refusal(
        lambda error: (
            render_template(
                "public/report_status.html", typed=typed, error=errors.in_words(error), shown=None
            ),
            error.status,
        )
    )
    shown = tip_off_intake.public_status(db.session(), typed)
    return render_template("public/report_status.html", typed="", error="", shown=shown)
