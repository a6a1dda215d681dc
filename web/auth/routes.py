from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from campaign import accounts, audit, passwords
from web import db, errors
from web.authz import allow
from web.security import mark_active

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
            result = accounts.authenticate(db.session(), username, password)
            if result.user is not None:
                session.clear()  # a fresh session on login: no fixation
                login_user(result.user)
                mark_active()
                session.permanent = True
                return redirect(_safe_next(request.args.get("next")))
            error = result.message
    return render_template("auth/login.html", error=error, username=username), (
        401 if error else 200
    )


@bp.route("/logout", methods=["POST"])
@allow()
def logout() -> Response:
    audit.record(db.session(), "auth.logout", actor=current_user._get_current_object())
    logout_user()
    session.clear()
    flash("已安全退出", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@allow()
def change_password() -> ResponseReturnValue:
    if request.method == "GET":
        return _password_page([])
    errors.on_refusal(lambda error: _password_page([str(error)]))
    user = current_user._get_current_object()
    accounts.change_own_password(
        db.session(),
        user,
        request.form.get("current_password", ""),
        request.form.get("new_password", ""),
        request.form.get("confirm_password", ""),
    )
    # The password change bumped the session epoch: log in again under it.
    login_user(user)
    mark_active()
    flash("密码已修改", "success")
    return redirect(url_for("home.index"))


def _password_page(messages: list[str]) -> ResponseReturnValue:
    page = render_template("auth/password.html", errors=messages, min_length=passwords.MIN_LENGTH)
    return page, (422 if messages else 200)
