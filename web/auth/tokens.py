"""My API tokens: a person sees their own tokens and revokes the ones they no longer need
(issuing stays with the security administrator: `ykt user token NAME`)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from campaign import tokens
from campaign.models.accounts import TOKEN_STATUS_LABELS
from core import clock
from web import db, errors
from web.auth.routes import bp
from web.authz import allow
from web.common import me


@bp.get("/account/tokens")
@allow()
def tokens_page() -> str:
    rows = tokens.tokens_of(db.session(), me(), actor=me())
    now = clock.now()
    return render_template(
        "auth/tokens.html",
        tokens=[(row, row.status(now)) for row in rows],
        labels=TOKEN_STATUS_LABELS,
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@allow()
def revoke_token(token_id: int) -> Response:
    errors.on_refusal(errors.back_to(url_for("auth.tokens_page")))
    row = tokens.revoke_token(db.session(), token_id, me())
    flash(f"已吊销令牌 {row.prefix}…", "success")
    return redirect(url_for("auth.tokens_page"))
