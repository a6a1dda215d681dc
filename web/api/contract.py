"""The API's contract, declared once on each view: what the request may carry (query,
JSON body, form fields) and what each status answers with, as marshmallow schemas. The same
declaration validates the request, shapes the answer (only declared fields leave, in their
declared types) and, through apispec, becomes the OpenAPI document served at
/api/v1/openapi.json, so the document cannot drift from the code.

A request that breaks its declaration is refused with 400 and the one error shape
(`{"error", "fields"}`, in Chinese) before the view runs."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import EXCLUDE, Schema, ValidationError
from marshmallow import fields as mf
from werkzeug.wrappers import Response

from core.db import MAX_ID
from core.errors import MalformedRequest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BINARY = "application/octet-stream"
DECLARATION = "_ykt_contract"

# What each refusal means, for the document; every one answers with the Error shape.
REFUSALS = {
    400: "请求格式不正确：参数、请求体或请求头不符合本文档（fields 逐项说明）",
    401: "没有令牌，或令牌无效、已过期、已吊销，或其账户被锁定、停用、须修改密码",
    403: "无权进行此操作（error 说明原因）",
    404: "不存在，或不在您的单位和角色范围内（两者不加区分）",
    409: "已被他人办理或认领、已过期（版本不符），或同一 Idempotency-Key 已提交过",
    412: "If-Match 给出的版本已过期：任务已被他人改动，请重新读取",
    413: "请求过大",
    415: "请求体的内容类型不受支持",
    422: "提交的内容不符合业务规则（fields 逐字段说明）",
    503: (
        "其他人正在修改同一记录而等待超时、与他人的操作冲突，或数据库暂时不可用："
        "本次未做任何修改，请按 Retry-After 给出的秒数稍后重试"
    ),
}


@dataclass(frozen=True)
class Answer:
    """One success status: a schema for JSON, or a media type for a file."""

    description: str
    schema: type[Schema] | None = None
    media_type: str = "application/json"
    headers: tuple[str, ...] = ()
    also: tuple[str, ...] = ()  # other media types a file may come in (its own type)


@dataclass(frozen=True)
class Declaration:
    summary: str
    answers: Mapping[int, Answer]
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    form: type[Schema] | None = None  # multipart/form-data
    refusals: tuple[int, ...] = ()
    public: bool = False
    idempotent: bool = False  # takes an Idempotency-Key header
    if_match: bool = False  # takes an If-Match header (the task's ETag)
    description: str = ""
    extra_body: Mapping[str, Any] = field(default_factory=dict)  # other media types


def declare(
    summary: str,
    answers: Mapping[int, Answer],
    **options: Any,
) -> Callable[[Callable[..., Any]], Callable[..., ResponseReturnValue]]:
    """Declare a view's contract: the view receives `query=`, `body=` or `form=` as loaded
    by their schemas, and returns a Response, or a value (with a status and headers) that
    the answer schema of that status dumps."""
    declaration = Declaration(summary, answers, **options)

    def decorate(view: Callable[..., Any]) -> Callable[..., ResponseReturnValue]:
        @functools.wraps(view)
        def run(**path: Any) -> ResponseReturnValue:
            given: dict[str, Any] = {}
            if declaration.query is not None:
                given["query"] = load(declaration.query, _query_values(declaration.query))
            if declaration.body is not None:
                given["body"] = load(declaration.body, json_object())
            if declaration.form is not None:
                given["form"] = load(declaration.form, _query_values(declaration.form, form=True))
            result = view(**path, **given)
            return shape(declaration, result)

        setattr(run, DECLARATION, declaration)
        return run

    return decorate


def declaration_of(view: Any) -> Declaration | None:
    found: Declaration | None = getattr(view, DECLARATION, None)
    return found


def json_object() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise MalformedRequest("请求体须为 JSON 对象", {"": "请求体须为 JSON 对象"})
    return body


@functools.cache
def instance(schema: type[Schema]) -> Schema:
    """One instance of each schema, made once: building one (its fields copied, nested
    schemas made) cost more than loading or dumping with it, and they keep no state between
    calls."""
    return schema()


def _query_values(schema: type[Schema], form: bool = False) -> dict[str, Any]:
    source = request.args
    values: dict[str, Any] = {}
    for name, declared in instance(schema).fields.items():
        key = declared.data_key or name
        if form:  # a file where one is declared; text fields otherwise
            if key in request.files:
                values[key] = request.files[key]
            elif key in request.form:
                values[key] = request.form[key]
            continue
        if key not in source:
            continue
        values[key] = source.getlist(key) if isinstance(declared, mf.List) else source[key]
    return values


def load(schema: type[Schema], values: Mapping[str, Any]) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = instance(schema).load(values)
    except ValidationError as error:
        fields = dict(_flatten(error.messages))
        raise MalformedRequest("；".join(f"{k}：{v}" for k, v in fields.items()), fields) from None
    return loaded


ENGLISH = {
    "Unknown field.": "不接受此字段",
    "Missing data for required field.": "必填",
    "Field may not be null.": "不能为空值（null）",
    "Not a valid integer.": "须为整数",
    "Not a valid string.": "须为文本",
    "Not a valid boolean.": "须为 true 或 false",
    "Not a valid date.": "须为 YYYY-MM-DD 格式的日期",
    "Not a valid mapping type.": "须为 JSON 对象",
    "Not a valid list.": "须为数组",
    "Invalid input type.": "类型不正确",
}


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        out: list[tuple[str, str]] = []
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix
            out.extend(_flatten(value, name))
        return out
    if isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        text = str(messages[0])
        return [(prefix, ENGLISH.get(text, text if _is_chinese(text) else "格式不正确"))]
    if isinstance(messages, list):
        return [pair for m in messages for pair in _flatten(m, prefix)]
    return [(prefix, ENGLISH.get(str(messages), "格式不正确"))]


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def shape(declaration: Declaration, result: Any) -> ResponseReturnValue:
    if isinstance(result, Response):
        return result
    status, headers = 200, dict[str, str]()
    if isinstance(result, tuple):
        result, status, *rest = result
        headers = rest[0] if rest else {}
    answer = declaration.answers[status]
    body = instance(answer.schema).dump(result) if answer.schema is not None else result
    return jsonify(body), status, headers


# --- The document -------------------------------------------------------------------------

_ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


def _names(rule: str) -> dict[str, str]:
    """The document's name of each path argument: a route's only argument is `id`."""
    found = [name for _, name in _ARGUMENT.findall(rule)]
    return {found[0]: "id"} if len(found) == 1 else {name: name for name in found}


def openapi_path(rule: str, prefix: str) -> str:
    names = _names(rule)
    return _ARGUMENT.sub(lambda m: "{" + names[m.group(2)] + "}", rule.removeprefix(prefix))


def path_parameters(rule: str) -> list[dict[str, Any]]:
    out = []
    names = _names(rule)
    for converter, name in _ARGUMENT.findall(rule):
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            if converter == "int"
            else {"type": "string", "minLength": 1}
        )
        out.append({"name": names[name], "in": "path", "required": True, "schema": schema})
    return out


def api_rules(app: Flask, blueprint: str) -> list[Any]:
    """Every route of the blueprint, with the view behind it."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{blueprint}.")
        and app.view_functions.get(rule.endpoint) is not None
    ]


class Empty(Schema):
    class Meta:
        unknown = EXCLUDE
