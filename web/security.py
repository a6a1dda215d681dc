"""Login sessions, CSRF, idle timeout, forced password change and security headers.

The session itself lives on the server (campaign.sessions): the signed cookie carries only
its random key, in the slot where flask-login keeps what it hands to the user loader."""

from __future__ import annotations

from flask import Flask, Response, flash, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response as BaseResponse

from campaign import sessions
from campaign.models import User
from web import db
from web.health import LIVE_ENDPOINTS

IDLE_TIMEOUT_MINUTES = sessions.IDLE_TIMEOUT_MINUTES
# Where flask-login keeps the id its user loader receives: here, the session's key.
_KEY_SLOT = "_user_id"
_REFUSED = "login_session_refused"

login_manager = LoginManager()
csrf = CSRFProtect()

# Endpoints that work while a password change is pending.
_PASSWORD_CHANGE_ENDPOINTS = {"auth.change_password", "auth.logout", "static"}

_ENDED_MESSAGES = {
    sessions.EndReason.IDLE: f"超过 {IDLE_TIMEOUT_MINUTES} 分钟未操作，已自动退出，请重新登录",
}
_ENDED_MESSAGE = "会话已结束（已退出、密码已修改或账户已停用），请重新登录"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "warning"
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    app.before_request(_enforce_session_rules)
    app.after_request(_security_headers)


def client_address() -> str:
    return (request.remote_addr or "")[:64]


def current_key() -> str:
    key = session.get(_KEY_SLOT)
    return key if isinstance(key, str) else ""


def sign_in(user: User, key: str) -> None:
    """Carry a login session opened by campaign.sessions in a fresh cookie."""
    session.clear()  # a new cookie at login: no fixation
    login_user(user)
    session[_KEY_SLOT] = key
    session.permanent = True


def sign_out() -> None:
    logout_user()
    session.clear()


@login_manager.user_loader
def _load_user(key: str) -> User | None:
    resumed = sessions.resume(db.session(), key, source=client_address())
    if resumed.user is None:
        g.setdefault(_REFUSED, resumed.ended)
    return resumed.user


def _enforce_session_rules() -> BaseResponse | None:
    if request.endpoint == "static" or request.endpoint in LIVE_ENDPOINTS:
        return None  # no session to check: the probes must not need the database
    if not current_user.is_authenticated:
        if _REFUSED in g:
            # The cookie names a session that is over or unknown: forget it, say why, and
            # let the access rules send the person to the login page.
            ended = g.pop(_REFUSED)
            session.clear()
            if ended is not None:
                flash(_ENDED_MESSAGES.get(ended, _ENDED_MESSAGE), "warning")
        return None
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
