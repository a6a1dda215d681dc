"""What the codes some audit details hold mean, in the words the audit page shows: why a
login failed (`wrong password`), what kind of refusal a request met (the error's class, as
recorded: `SubmissionInvalid`), which form was filled in (its key). A code not known here is
shown as it was recorded. The records themselves are unchanged (they are hashed into the
chain): only the page reads them so."""

from __future__ import annotations

from core.errors import (
    AppError,
    Conflict,
    EngineFailure,
    InvalidInput,
    MalformedRequest,
    NotAllowed,
    NotAuthenticated,
    NotFound,
)
from forms import registry as form_registry

# The reasons the records of logins and login sessions (auth.*) give: why a login failed
# (campaign.login), why sessions ended (campaign.sessions.EndReason).
AUTH_REASONS = {
    "wrong password": "密码错误",
    "unknown user": "用户名不存在",
    "locked": "账号已锁定",
    "disabled": "账号已停用",
    "address blocked": "来源地址已被暂时限制",
    "logout": "退出登录",
    "idle": "长时间未操作",
    "password": "密码已修改或重置",
    "password_attempts": "多次输错当前密码",
}

# Each kind of our own refusal; a subclass is named by the nearest kind it is one of.
_APP_ERRORS: dict[type[AppError], str] = {
    MalformedRequest: "请求格式有误",
    InvalidInput: "填写有误",
    NotAllowed: "无权操作",
    NotFound: "不存在或无权查看",
    Conflict: "已被他人处理或已变化",
    NotAuthenticated: "未登录或凭据无效",
    EngineFailure: "流程运行失败",
    AppError: "请求被拒绝",
}
# The web's own refusals, by the class name the web records (werkzeug's and Flask-WTF's).
_WEB_ERRORS = {
    "CSRFError": "页面已过期（表单校验未通过）",
    "BadRequest": "请求有误",
    "Unauthorized": "未登录",
    "Forbidden": "无权访问",
    "MethodNotAllowed": "不支持的请求方法",
    "RequestEntityTooLarge": "上传内容过大",
    "UnsupportedMediaType": "不支持的内容类型",
    "TooManyRequests": "请求过于频繁",
    "InternalServerError": "服务器内部错误",
}


def _subclasses(kind: type[AppError]) -> list[type[AppError]]:
    found = [kind]
    for sub in kind.__subclasses__():
        found.extend(_subclasses(sub))
    return found


def error_kind(name: str) -> str | None:
    """The words for a recorded error class name; None for one not known."""
    for kind in _subclasses(AppError):
        if kind.__name__ == name:
            nearest = next(k for k in kind.__mro__ if k in _APP_ERRORS)
            return _APP_ERRORS[nearest]
    return _WEB_ERRORS.get(name)


def form_title(key: str) -> str | None:
    form = form_registry.get(key)
    return form.title if form is not None else None
