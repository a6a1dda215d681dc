"""One error model, two answers.

Services raise core.errors (not found, not allowed, conflict, invalid input, engine failure);
Flask raises HTTP errors (no such page, wrong method, too large) and turns anything
unexpected into a 500. Every one of them lands here: the request's work is rolled back, a
case that failed to run is marked in error by the engine's runner, and the person gets a
Chinese answer: JSON of one documented shape under /api/, a page otherwise.

A view whose form can be refused says how to show it again (`on_refusal`): the task page
comes back with every input and the reason beside its field, instead of an error page."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from campaign.submissions import AlreadySubmitted
from core.errors import AppError, InvalidInput
from engine import runner
from engine.errors import CaseFailed, DeploymentRefused
from web import db
from web.common import HOST

log = logging.getLogger(__name__)

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


def on_refusal(render: Refusal) -> None:
    """How this request shows a refusal: called with the error after the rollback."""
    g.refusal_page = render


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
        return render(error)
    return _page(error.status, str(error))


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
    db.fail()
    original = getattr(error, "original_exception", None)
    if original is not None:  # Flask's 500 for an exception nobody handled
        log.error("unhandled error on %s", request.path, exc_info=original)
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    message = (
        CSRF_REFUSED if isinstance(error, CSRFError) else HTTP_MESSAGES.get(status, "请求失败")
    )
    if is_api():
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return jsonify(error_body(message)), status, headers
    page, status = _page(status, message)
    return page, status, headers


def _page(status: int, message: str) -> tuple[str, int]:
    try:
        return render_template("error.html", status=status, message=message), status
    except Exception:  # the page itself failed (e.g. the database is down): plain text
        log.exception("error page could not be rendered")
        return f"{status} {message}", status
