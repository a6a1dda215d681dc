from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from campaign.models import User

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MESSAGES = {
    400: "请求格式不正确",
    401: "需要有效的访问令牌（Authorization: Bearer …）",
    404: "不存在或无权访问",
    405: "不支持的请求方法",
    413: "请求过大",
}


def api_user() -> User:
    user: User = g.api_user
    return user


def error(status: int, message: str, **extra: Any) -> ResponseReturnValue:
    return jsonify({"error": message, **extra}), status


@bp.app_errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    # Only API paths answer in JSON; pages keep Flask's own error pages.
    from flask import request

    if not request.path.startswith(bp.url_prefix or "/api/v1"):
        return exc
    status = exc.code or 500
    return error(status, MESSAGES.get(status, exc.description or "请求失败"))
