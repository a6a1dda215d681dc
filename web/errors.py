"""One error model, two answers.

Services raise core.errors (not found, not allowed, conflict, invalid input, engine failure);
Flask raises HTTP errors (no such page, wrong method, too large) and turns anything
unexpected into a 500. Every one of them lands here: the request's work is rolled back, a
case that failed to run is marked in error by the engine's runner, and the person gets a
Chinese answer: JSON of one documented shape under /api/, a page otherwise.

A view whose form can be refused says how to show it again (`on_refusal`): the task page
comes back with every input and the reason beside its field, instead of an error page.

Refusals are recorded here, in one place, and kept through the rollback: every 403 and 404
of a page that exists (a role rule of web.authz, or NotFound/NotAllowed from a service), and
every refused or failed request that would have changed data (not GET or HEAD). Not
recorded, to keep the log readable: an address no route has (scanners), static files, a
public page's 404 to someone not signed in, and 401 for a missing API token (the service
records a token that is given but wrong), as the login redirect of a page is not either.
Nor a 503 because another transaction held the records too long (core.lock_waits) or the
database was out of reach (core.outages): writing the record would wait for the same lock,
or fail the same way; the server's log has a line instead."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import (
    Flask,
    Response,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from campaign import audit
from campaign.models import User
from campaign.submissions import AlreadySubmitted
from core import lock_waits, outages
from core.db import first_line
from core.errors import AppError, InvalidInput, TryAgain, Unavailable
from engine import runner
from engine.errors import CaseFailed, DeploymentRefused
from web import db
from web.authz import access_of
from web.common import HOST
from web.security import login_manager

log = logging.getLogger(__name__)


class App(Flask):
    """Flask, each unhandled error logged once, by the error page (`_http_error`): with its
    traceback, or, for a GET that met another writer and runs again (web.db.RetryImmediate),
    as the line saying so. Flask's own log of it repeated the traceback, the retried one's
    included, for an error nobody saw."""

    def log_exception(self, exc_info: Any) -> None:
        pass

    def process_response(self, response: Response) -> Response:
        """The after_request hooks, web.db's commit among them. Most changes send their last
        statements as the request commits (an audit record, which locks the chain's end,
        campaign.audit_chain): one that gives up waiting for a lock there is answered as in
        its view, by its refusal (core.lock_waits), not by the 500 of an error raised after
        the view, which Flask's error handlers never see."""
        try:
            return super().process_response(response)
        except DBAPIError as error:
            if outages.refusal_of(error) is None or g.get("db_failed"):
                raise
            # The refusal, or the error raised again (a GET that runs again, web.db).
            refusal = self.make_response(self.handle_user_exception(error))
        response.close()
        return super().process_response(refusal)


API_PREFIX = "/api/"

# What each HTTP error means to a person.
HTTP_MESSAGES = {
    400: "请求格式不正确",
    401: "需要有效的访问令牌（Authorization: Bearer …）",
    403: "无权进行此操作",
    404: "不存在或无权访问",
    405: "不支持的请求方法",
    409: "数据已被他人更新，请刷新后重试",
    413: "请求过大",
    415: "不支持的内容类型",
    422: "提交的内容有误",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，请稍后重试；如反复出现，请联系系统管理员",
    503: "服务暂时不可用，请稍后重试",
}

CSRF_REFUSED = "页面已过期或来源无法确认，请刷新页面后重新提交"

Refusal = Callable[[AppError], ResponseReturnValue]


def init_app(app: Flask) -> None:
    app.register_error_handler(AppError, _app_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DBAPIError, _database_error)


def on_refusal(render: Refusal) -> None:
    """How this request shows a refusal: called with the error after the rollback."""
    g.refusal_page = render


def field_errors(error: AppError) -> dict[str, str]:
    """A refusal as a form page shows it: each field's message beside its field, anything
    else ("" key) above the form."""
    if isinstance(error, InvalidInput) and error.fields:
        return error.fields
    return {"": str(error)}


def in_words(error: AppError) -> str:
    """A refusal as one sentence for a message beside a form: its own, or else its fields'
    reasons without the fields' names that the text made of them carries."""
    if isinstance(error, InvalidInput) and not error.worded:
        return "；".join(error.fields.values())
    return str(error)


def back_to(url: str, prefix: str = "") -> Refusal:
    """A refusal shown as a message on the page the form was sent from."""

    def render(error: AppError) -> ResponseReturnValue:
        flash(f"{prefix}{error}", "error")
        return redirect(url)

    return render


def is_api() -> bool:
    """The API, and pages' own scripts that send JSON (the modeler), read JSON answers."""
    return request.path.startswith(API_PREFIX) or request.is_json


def error_body(message: str, **extra: Any) -> dict[str, Any]:
    """The one shape of every API error: {"error": message, ...details}."""
    return {"error": message, **extra}


def _app_error(error: AppError) -> ResponseReturnValue:
    answer = _answer(error)
    if not isinstance(error, TryAgain):
        return answer
    response = make_response(answer)
    if not 300 <= response.status_code < 400:  # not a page's way back to its form
        # A form's page again, with its own refusals' status (422, or 200) in its renderer.
        response.status_code = error.status
    response.headers["Retry-After"] = str(error.retry_after_seconds)
    return response


def _answer(error: AppError) -> ResponseReturnValue:
    if not isinstance(error, TryAgain):  # see the module's docstring
        _record_refusal(error.status, str(error), type(error).__name__)
    db.fail()
    if isinstance(error, CaseFailed):
        runner.record_failure(db.database(), HOST, error)
    if is_api():
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else {}
        return jsonify(error_body(str(error), **_details(error))), error.status, headers
    if isinstance(error, AlreadySubmitted):
        flash(str(error), "info")
        return redirect(error.location or url_for("home.index"))
    render: Refusal | None = g.get("refusal_page")
    if render is not None:
        try:
            return render(error)
        except AppError:
            # The form's page cannot be shown to this person either (a record they may not
            # see): the refusal itself is the answer, on the plain error page.
            pass
    return _page(error.status, str(error))


def _database_error(error: DBAPIError) -> ResponseReturnValue:
    """Another transaction in the way (core.lock_waits): the person's refusal to try again,
    the form's page with every input. The database out of reach (core.outages): the same,
    on the plain error page, which needs no database. Any other database error, and a GET
    about to run again with the write lock (web.db), goes on as an error nobody handled."""
    refusal = outages.refusal_of(error)
    if refusal is None or db.runs_again(error):
        raise error
    where = (request.method, request.path, first_line(error))
    if isinstance(refusal, Unavailable):
        log.error("%s %s: the database cannot take it: %s", *where)
        g.pop("refusal_page", None)  # a form's page reads the database
        g._login_user = login_manager.anonymous_user()  # as does who is signed in
    elif str(refusal) == lock_waits.CANCELED:  # a statement too slow, not a wait: its SQL
        log.error("%s %s was cancelled", request.method, request.path, exc_info=error)
    else:
        log.warning("%s %s gave up: %s", *where)
    db.read_from_here()
    refusal.__cause__ = error
    return _app_error(refusal)


def _details(error: AppError) -> dict[str, Any]:
    if isinstance(error, DeploymentRefused):
        findings = [{"element_id": f.element_id, "message": f.message} for f in error.findings]
        return {"fields": error.fields, "findings": findings}
    if isinstance(error, InvalidInput):
        return {"fields": error.fields}
    if isinstance(error, AlreadySubmitted):
        return {"location": error.location}
    return {}


def _http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    if status < 400:  # a redirect raised by routing (e.g. a missing trailing slash)
        return error
    original = getattr(error, "original_exception", None)
    cause = type(original if original is not None else error).__name__
    _record_refusal(status, HTTP_MESSAGES.get(status, "请求失败"), cause)
    db.fail()
    if original is not None and db.retrying():  # not an error: the request runs again
        log.info("%s met another writer; run again with BEGIN IMMEDIATE", request.path)
    elif original is not None:  # Flask's 500 for an exception nobody handled
        log.error("unhandled error on %s", request.path, exc_info=original)
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    message = (
        CSRF_REFUSED if isinstance(error, CSRFError) else HTTP_MESSAGES.get(status, "请求失败")
    )
    if is_api():
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return jsonify(error_body(message)), status, headers
    # A form refused before its view read it: most often an expired page or session.
    page, status = _page(status, message, stale_form=status == 400)
    return page, status, headers


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _record_refusal(status: int, reason: str, cause: str) -> None:
    """Record a refused request, unless it is noise (see the module's docstring) or the
    service already recorded the refusal in its own words."""
    if request.endpoint in (None, "static"):
        return
    denied = status in (403, 404)
    if not denied and (request.method in SAFE_METHODS or status == 401):
        return
    try:
        actor = _who()
        if actor is None and denied and _is_public():
            return
        if db.kept_anything():
            return
        audit.record_refusal(
            db.session(),
            "access.denied" if denied else "request.failed",
            actor=actor,
            actor_name=None if actor is not None else audit.ANONYMOUS,
            target=request.path,
            method=request.method,
            status=status,
            endpoint=request.endpoint,
            reason=reason,
            error=cause,
        )
    except Exception:  # the answer still goes out; the failure is in the server's log
        log.exception("refusal of %s %s could not be recorded", request.method, request.path)


def _who() -> User | None:
    """The person refused: the API's token holder, a page's signed-in user."""
    if request.path.startswith(API_PREFIX):
        api_user: User | None = g.get("api_user")
        return api_user
    if current_user.is_authenticated:
        user: User = current_user._get_current_object()
        return user
    return None


def _is_public() -> bool:
    access = access_of(request.endpoint)
    return access is not None and access.public


def _page(status: int, message: str, *, stale_form: bool = False) -> tuple[str, int]:
    try:
        page = render_template("error.html", status=status, message=message, stale_form=stale_form)
        return page, status
    except Exception:  # the page itself failed (e.g. the database is down): plain text
        log.exception("error page could not be rendered")
        return f"{status} {message}", status
