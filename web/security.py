"""Login sessions, CSRF, idle timeout, forced password change and security headers."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, flash, redirect, request, session, url_for
from flask_login import LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response as BaseResponse

from campaign import accounts
from core import clock
from web import db

IDLE_TIMEOUT_MINUTES = 30
LAST_SEEN_KEY = "last_seen"

login_manager = LoginManager()
csrf = CSRFProtect()

# Endpoints that work while a password change is pending.
_PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "static"}


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    app.before_request(_enforce_session_rules)
    app.after_request(_security_headers)


@login_manager.user_loader
def _load_user(session_id: str) -> accounts.User | None:
    return accounts.load_session_user(db.session(), session_id)


def mark_active() -> None:
    session[LAST_SEEN_KEY] = clock.now().timestamp()


def _enforce_session_rules() -> BaseResponse | None:
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    last_seen = session.get(LAST_SEEN_KEY)
    idle = timedelta(minutes=IDLE_TIMEOUT_MINUTES).total_seconds()
    if last_seen is None or clock.now().timestamp() - float(last_seen) > idle:
        logout_user()
        session.clear()
        flash(f"超过 {IDLE_TIMEOUT_MINUTES} 分钟未操作，已自动退出，请重新登录", "warning")
        return redirect(url_for("auth.login", next=request.full_path))
    mark_active()
    session.permanent = True
    if current_user.must_change_password and request.endpoint not in _PASSWORD_CHANGE_ENDPOINTS:
        flash("首次登录或密码被重置，请先修改密码", "warning")
        return redirect(url_for("auth.change_password"))
    return None


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; font-src 'self' data:; "
        "style-src 'self' 'unsafe-inline'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    )
    if current_user.is_authenticated:
        response.headers.setdefault("Cache-Control", "no-store")
    return response
