from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from campaign import accounts, passwords, sessions
from core.errors import AppError
from web import db, errors
from web.authz import allow
from web.common import me
from web.security import client_address, current_key, sign_in, sign_out

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow `next` within this site, never to another host."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@allow(public=True)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username or not password:
            error = "请输入用户名和密码"
        else:
            source = client_address()
            result = accounts.authenticate(db.session(), username, password, source=source)
            if result.user is not None:
                key = sessions.open_session(db.session(), result.user, source=source)
                sign_in(result.user, key)
                return redirect(_safe_next(request.args.get("next")))
            error = result.message
    return render_template("auth/login.html", error=error, username=username), (
        401 if error else 200
    )


@bp.route("/logout", methods=["POST"])
@allow()
def logout() -> Response:
    sessions.log_out(db.session(), me(), current_key(), source=client_address())
    sign_out()
    flash("已安全退出", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@allow()
def change_password() -> ResponseReturnValue:
    if request.method == "GET":
        return _password_page([])
    errors.on_refusal(_password_refused)
    user = me()
    accounts.change_own_password(
        db.session(),
        user,
        request.form.get("current_password", ""),
        request.form.get("new_password", ""),
        request.form.get("confirm_password", ""),
        source=client_address(),
    )
    # The change ended every session of the account, this one too: carry on in a new one.
    sign_in(user, sessions.open_session(db.session(), user, source=client_address()))
    flash("密码已修改", "success")
    return redirect(url_for("home.index"))


def _password_refused(error: AppError) -> ResponseReturnValue:
    if isinstance(error, accounts.PasswordAttemptsExhausted):
        # Every session of the account has ended, this one too: say so on the login page.
        sign_out()
        flash(str(error), "warning")
        return redirect(url_for("auth.login"))
    return _password_page([str(error)])


def _password_page(messages: list[str]) -> ResponseReturnValue:
    page = render_template("auth/password.html", errors=messages, min_length=passwords.MIN_LENGTH)
    return page, (422 if messages else 200)
