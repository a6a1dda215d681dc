"""Text no database column can hold is refused before any view reads it.

A NUL character (U+0000) cannot be stored in any PostgreSQL text column, nor compared with
one: a search, a login name or a form field carrying one made the statement fail and the
person got a 500. No keyboard types it; it comes from pasted binary or a hostile client. Such
a request is answered 400 with the fields at fault, on SQLite as on PostgreSQL, before its
data reaches a service."""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from core.errors import MalformedRequest

NUL = "\x00"
SHOWN_AS = "\u2400"  # ␀: a field name that holds one is shown with this in its place
REFUSED = "含有空字符（NUL），无法保存或查询，请删除后重试"


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul)


def _refuse_nul() -> None:
    fields = sorted({name.replace(NUL, SHOWN_AS) for name in _fields_with_nul()})
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
        body = request.get_json(silent=True)
        found += list(_json_paths_with_nul(body, ""))
    return found


def _json_paths_with_nul(value: Any, path: str) -> list[str]:
    """Where in a JSON body a string (or a key) holds a NUL: `data.measures`, `items.0`."""
    if isinstance(value, str):
        return [path] if NUL in value else []
    if isinstance(value, dict):
        out = []
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            out += [where] if NUL in str(key) else _json_paths_with_nul(inner, where)
        return out
    if isinstance(value, list):
        return [
            found
            for i, inner in enumerate(value)
            for found in _json_paths_with_nul(inner, f"{path}.{i}" if path else str(i))
        ]
    return []
