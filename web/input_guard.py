"""Text no database column can hold, dealt with before any view reads it.

A NUL character (U+0000) cannot be stored in any PostgreSQL text column, nor compared with
one: a search, a login name or a form field carrying one made the statement fail and the
person got a 500. No keyboard types it and no page shows it; it comes with text pasted from
another program, or from a hostile client. So, on SQLite as on PostgreSQL:

- a page's form fields and query values lose their NUL characters, so what a person sent
  goes through as they saw it (a refusal would have cost them the form);
- the API refuses the request with 400, naming each field: an integration whose data
  carries them should hear of it rather than have its data changed;
- an address, a field's name or an uploaded file's name with one is refused on both.

A JSON body is read here first, so a body nested deeper than any of ours (MAX_JSON_DEPTH) is
refused with 400 before Python's decoder or a reader of it runs out of stack."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.datastructures import ImmutableMultiDict

from core.errors import MalformedRequest
from web.errors import is_api

NUL = "\x00"
SHOWN_AS = "\u2400"  # ␀: a field name that holds one is shown with this in its place
REFUSED = "含有空字符（NUL），无法保存或查询，请删除后重试"
ADDRESS_REFUSED = "网址含有空字符（NUL），无法打开；请检查链接是否完整、是否被其他软件改动"
MAX_JSON_DEPTH = 32
TOO_DEEP = f"提交的 JSON 嵌套超过 {MAX_JSON_DEPTH} 层，无法处理"


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul)


def _refuse_nul() -> None:
    if not is_api():
        _drop_from_values()
    fields = sorted({name.replace(NUL, SHOWN_AS) for name in _fields_with_nul()})
    if fields == [""]:
        raise MalformedRequest(ADDRESS_REFUSED, {"": ADDRESS_REFUSED})
    if fields:
        raise MalformedRequest(
            f"提交的内容{REFUSED}（{'、'.join(f or '地址' for f in fields)}）",
            {field: REFUSED for field in fields},
        )


def _fields_with_nul() -> list[str]:
    found = [""] if NUL in request.path else []
    for source in (request.args, request.form):
        found += [key for key, value in source.items(multi=True) if NUL in key + value]
    found += [key for key, file in request.files.items(multi=True) if NUL in (file.filename or "")]
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # `silent` covers a malformed body, not one nested too deep
            raise MalformedRequest(TOO_DEEP) from None
        found += _json_paths_with_nul(body, "", 0)
    return found


def _drop_from_values() -> None:
    """A page's form fields and query values without their NUL characters (the request's
    own parsed copies are replaced before anything reads them)."""
    for name in ("args", "form"):
        values = getattr(request, name)
        if any(NUL in value for _key, value in values.items(multi=True)):
            cleaned = [(key, value.replace(NUL, "")) for key, value in values.items(multi=True)]
            setattr(request, name, ImmutableMultiDict(cleaned))


def _json_paths_with_nul(value: Any, path: str, depth: int) -> list[str]:
    """Where in a JSON body a string (or a key) holds a NUL: `data.measures`, `items.0`."""
    if depth > MAX_JSON_DEPTH:
        raise MalformedRequest(TOO_DEEP)
    if isinstance(value, str):
        return [path] if NUL in value else []
    if isinstance(value, dict):
        out = []
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            out += [where] if NUL in str(key) else _json_paths_with_nul(inner, where, depth + 1)
        return out
    if isinstance(value, list):
        return [
            found
            for i, inner in enumerate(value)
            for found in _json_paths_with_nul(inner, f"{path}.{i}" if path else str(i), depth + 1)
        ]
    return []
