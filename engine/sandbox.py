"""The script sandbox: what diagram code may do.

Administrators edit diagrams in the browser, so every script and expression is untrusted.
Each one passes an AST guard (at deploy and again before every run) and then runs with a
short list of builtins. The guard refuses what leads out of the data: imports, names and
attributes with underscores (every introspection path: __class__, __globals__, __import__),
frame and code attributes, and the builtins that reach objects by name (getattr, eval...).
Function definitions, lambdas and generators are refused too, so no function or frame
object can be made to walk from."""

from __future__ import annotations

import ast
import builtins
import datetime as _dt
import json
import math
from collections.abc import Mapping
from functools import lru_cache
from types import CodeType
from typing import Any

from engine.errors import ScriptRefused

FORBIDDEN_NODES: dict[type[ast.AST], str] = {
    ast.Import: "不允许 import",
    ast.ImportFrom: "不允许 import",
    ast.FunctionDef: "不允许定义函数",
    ast.AsyncFunctionDef: "不允许定义函数",
    ast.Lambda: "不允许 lambda",
    ast.ClassDef: "不允许定义类",
    ast.GeneratorExp: "不允许生成器表达式（请用列表推导式）",
    ast.Yield: "不允许 yield",
    ast.YieldFrom: "不允许 yield",
    ast.Await: "不允许 await",
    ast.Global: "不允许 global",
    ast.Nonlocal: "不允许 nonlocal",
    ast.With: "不允许 with",
    ast.AsyncWith: "不允许 with",
    ast.Try: "不允许 try",
    ast.Raise: "不允许 raise",
    ast.Delete: "不允许 del",
}

FORBIDDEN_NAMES = {
    "exec",
    "eval",
    "compile",
    "open",
    "getattr",
    "setattr",
    "delattr",
    "hasattr",
    "globals",
    "locals",
    "vars",
    "dir",
    "type",
    "object",
    "super",
    "input",
    "breakpoint",
    "help",
    "memoryview",
    "classmethod",
    "staticmethod",
    "property",
    "exit",
    "quit",
    "id",
}

# Attributes without underscores that still reach frames, code or formatting internals.
FORBIDDEN_ATTRIBUTES = {
    "format",
    "format_map",
    "mro",
    "gi_frame",
    "gi_code",
    "cr_frame",
    "cr_code",
    "ag_frame",
    "ag_code",
    "f_back",
    "f_globals",
    "f_locals",
    "f_builtins",
    "f_code",
    "tb_frame",
    "tb_next",
    "func_globals",
    "func_code",
}

SAFE_BUILTINS: dict[str, Any] = {
    name: getattr(builtins, name)
    for name in (
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "divmod",
        "enumerate",
        "filter",
        "float",
        "int",
        "isinstance",
        "len",
        "list",
        "map",
        "max",
        "min",
        "range",
        "reversed",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
        "ValueError",
        "KeyError",
        "TypeError",
    )
}

SAFE_HELPERS: dict[str, Any] = {
    "date": _dt.date,
    "datetime": _dt.datetime,
    "timedelta": _dt.timedelta,
    "timezone": _dt.timezone,
    "floor": math.floor,
    "ceil": math.ceil,
}

MAX_SOURCE_LENGTH = 20_000


def _violation(node: ast.AST) -> str | None:
    for kind, message in FORBIDDEN_NODES.items():
        if isinstance(node, kind):
            return message
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            return f"不允许以下划线开头的名称：{node.id}"
        if node.id in FORBIDDEN_NAMES:
            return f"不允许使用 {node.id}"
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            return f"不允许访问以下划线开头的属性：{node.attr}"
        if node.attr in FORBIDDEN_ATTRIBUTES:
            return f"不允许访问属性：{node.attr}"
    if isinstance(node, ast.keyword) and node.arg and node.arg.startswith("_"):
        return f"不允许以下划线开头的参数：{node.arg}"
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and "__" in node.value:
        return "不允许包含双下划线的字符串"
    return None


@lru_cache(maxsize=4096)
def _check(source: str, mode: str) -> ast.Module | ast.Expression:
    if len(source) > MAX_SOURCE_LENGTH:
        raise ScriptRefused(f"脚本过长（超过 {MAX_SOURCE_LENGTH} 个字符）")
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise ScriptRefused(f"语法错误（第 {exc.lineno} 行）：{exc.msg}") from None
    for node in ast.walk(tree):
        message = _violation(node)
        if message is not None:
            line = getattr(node, "lineno", 1)
            raise ScriptRefused(f"第 {line} 行：{message}")
    assert isinstance(tree, (ast.Module, ast.Expression))
    return tree


@lru_cache(maxsize=4096)
def _compiled(source: str, mode: str) -> CodeType:
    """Checked and compiled once per text: gateways and scripts run on every step."""
    return compile(_check(source, mode), f"<{'expression' if mode == 'eval' else 'script'}>", mode)


def check_script(source: str) -> None:
    """Raise ScriptRefused when a script (statements) breaks the rules."""
    _check(source, "exec")


def check_expression(source: str) -> None:
    """Raise ScriptRefused when an expression breaks the rules."""
    _check(source.strip(), "eval")


def _namespace(data: Mapping[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__builtins__": SAFE_BUILTINS}
    namespace.update(SAFE_HELPERS)
    if extra:
        namespace.update({k: v for k, v in extra.items() if not k.startswith("_")})
    namespace.update({k: v for k, v in data.items() if not k.startswith("_")})
    return namespace


def evaluate(
    expression: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None
) -> Any:
    code = _compiled(expression.strip(), "eval")
    return eval(code, _namespace(data, extra))  # noqa: S307 (guarded above, restricted builtins)


def execute(script: str, data: dict[str, Any], extra: Mapping[str, Any] | None = None) -> None:
    """Run a script; the variables it leaves behind become the task's data."""
    code = _compiled(script, "exec")
    namespace = _namespace(data, extra)
    before = set(namespace)
    exec(code, namespace)  # noqa: S102 (guarded above)
    for key in before - set(namespace):
        data.pop(key, None)
    for key, value in namespace.items():
        if key.startswith("_") or key in SAFE_HELPERS or (extra and key in extra):
            continue
        if callable(value) and not isinstance(value, (_dt.date, _dt.timedelta)):
            continue
        data[key] = _plain(key, value)


def _plain(key: str, value: Any) -> Any:
    """Task data must stay plain JSON-like values (dates become ISO strings)."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise ScriptRefused(f"脚本变量 {key} 的值不是可保存的数据类型") from None
    return value
