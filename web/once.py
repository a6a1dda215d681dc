"""Forms that take effect once: the page carries a one-time token (`{{ once_field() }}`), the
route claims it in its transaction (see campaign.submissions)."""

from __future__ import annotations

from flask import Flask, request
from markupsafe import Markup

from campaign import submissions
from campaign.models import FormSubmission
from web import db
from web.common import me

FIELD = "once"


def once_field() -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        FIELD, submissions.new_token()
    )


def claim() -> FormSubmission | None:
    """Claims the token the form came with; raises submissions.AlreadySubmitted on a repeat."""
    return submissions.claim(db.session(), me(), request.form.get(FIELD))


def init_app(app: Flask) -> None:
    app.jinja_env.globals["once_field"] = once_field
