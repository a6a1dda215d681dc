"""The script sandbox: what diagram code may do.

Administrators edit diagrams in the browser, so every script and expression is untrusted.
Each one is parsed and checked against an allowlist (engine/sandbox_rules.py) at deploy and
again before it first runs in a process, then rewritten so that every loop, every operation
that could grow large and every method call goes through a run-time guard with a deadline
and a size budget (engine/sandbox_runtime.py). It runs with no Python builtins at all: the
builtins it may call are the guard's own wrappers, reached only by the rewrite. What a script
leaves behind becomes task data, and must be plain JSON-like values.

The rules, the limits and what happens when one is hit are described in docs/engine.md."""

from __future__ import annotations

import ast
import datetime as _dt
import math
from collections.abc import Mapping
from functools import lru_cache
from types import CodeType
from typing import Any

from engine.errors import ScriptLimitExceeded, ScriptRefused
from engine.sandbox_limits import MAX_DEPTH, MAX_INT_BITS, TOO_BIG_INT, TOO_DEEP
from engine.sandbox_rules import RUN, rewrite
from engine.sandbox_runtime import Run

__all__ = ["ScriptRefused", "check_expression", "check_script", "evaluate", "execute"]

MAX_SOURCE_LENGTH = 20_000
MAX_DATA_SIZE = 1_000_000  # items and characters a script may leave in task data
_NO_BUILTINS: dict[str, Any] = {}  # without a __builtins__ key, exec would add the real ones
_SCALARS = frozenset({str, int, float, bool, type(None)})
# JSON has no NaN nor infinity: the API and the stored state would carry text no reader takes.
NOT_A_NUMBER = "的值不是有效数字（无穷大或 NaN 无法保存）"


@lru_cache(maxsize=4096)
def _check(source: str, mode: str) -> ast.Module | ast.Expression:
    if len(source) > MAX_SOURCE_LENGTH:
        raise ScriptRefused(f"脚本过长（超过 {MAX_SOURCE_LENGTH} 个字符）")
    try:
        tree = ast.parse(source, mode=mode)
        assert isinstance(tree, (ast.Module, ast.Expression))
        guarded, problems = rewrite(tree)
    except SyntaxError as exc:
        raise ScriptRefused(f"语法错误（第 {exc.lineno or 1} 行）：{exc.msg}") from None
    except ValueError:  # a lone surrogate cannot even be encoded for the parser
        raise ScriptRefused("脚本含有无法识别的字符") from None
    except (RecursionError, MemoryError):
        raise ScriptRefused("脚本嵌套过深") from None
    if problems:
        raise ScriptRefused("；".join(problems))
    return guarded


@lru_cache(maxsize=4096)
def _compiled(source: str, mode: str) -> CodeType:
    """Checked, rewritten and compiled once per text: gateways and scripts run on every step."""
    tree = _check(source, mode)
    try:
        return compile(tree, f"<{'expression' if mode == 'eval' else 'script'}>", mode)
    except (RecursionError, MemoryError):
        raise ScriptRefused("脚本嵌套过深") from None


def check_script(source: str) -> None:
    """Raise ScriptRefused when a script (statements) breaks the rules."""
    _check(source, "exec")


def check_expression(source: str) -> None:
    """Raise ScriptRefused when an expression breaks the rules."""
    _check(source.strip(), "eval")


def _namespace(
    data: Mapping[str, Any], extra: Mapping[str, Any] | None, run: Run
) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    if extra:
        namespace.update({k: v for k, v in extra.items() if not k.startswith("_")})
    namespace.update({k: v for k, v in data.items() if not k.startswith("_")})
    namespace["__builtins__"] = _NO_BUILTINS
    namespace[RUN] = run
    return namespace


def evaluate(
    expression: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None
) -> Any:
    """The value of a condition or timer expression; it may read task data, not change it."""
    code = _compiled(expression.strip(), "eval")
    namespace = _namespace(data, extra, Run(may_mutate=False))
    try:
        return eval(code, namespace)  # noqa: S307 (checked, rewritten, no builtins)
    except RecursionError:  # comparing or printing data nested past Python's own limit
        raise ScriptLimitExceeded(TOO_DEEP) from None


def execute(script: str, data: dict[str, Any], extra: Mapping[str, Any] | None = None) -> None:
    """Run a script; the variables it leaves behind become the task's data."""
    code = _compiled(script, "exec")
    namespace = _namespace(data, extra, Run(may_mutate=True))
    try:
        exec(code, namespace)  # noqa: S102 (checked, rewritten, no builtins)
    except RecursionError:
        raise ScriptLimitExceeded(TOO_DEEP) from None
    # Checked whole before any of it is written: a refused script changes no task data.
    data.update(
        {
            key: _plain(key, value)
            for key, value in namespace.items()
            # a callable can only have come in with the data: leave it be
            if not (key.startswith("_") or (extra and key in extra) or callable(value))
        }
    )


def _plain(key: str, value: Any) -> Any:
    """Task data must stay plain JSON-like values (dates become ISO strings), small enough and
    shallow enough to copy, store and hash safely."""
    kind = type(value)
    if kind in _SCALARS and (kind is not int or value.bit_length() <= MAX_INT_BITS):
        if kind is float and not math.isfinite(value):
            raise ScriptRefused(f"脚本变量 {key} {NOT_A_NUMBER}")
        return value
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    size = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is str:
            size += len(item)
        elif kind is int and item.bit_length() > MAX_INT_BITS:
            raise ScriptLimitExceeded(f"脚本变量 {key} {TOO_BIG_INT}")
        elif kind is float and not math.isfinite(item):
            raise ScriptRefused(f"脚本变量 {key} {NOT_A_NUMBER}")
        elif kind in _SCALARS:
            size += 1
        elif kind in (list, tuple, dict):
            if depth >= MAX_DEPTH:
                raise ScriptLimitExceeded(f"脚本变量 {key} {TOO_DEEP}")
            if kind is dict:
                if any(type(k) not in _SCALARS for k in item):
                    raise ScriptRefused(f"脚本变量 {key} 的字典键只能是字符串或数字")
                stack.extend((v, depth + 1) for v in item.values())
                stack.extend((k, depth + 1) for k in item)
            else:
                stack.extend((v, depth + 1) for v in item)
            size += len(item)
        else:
            raise ScriptRefused(f"脚本变量 {key} 的值不是可保存的数据类型")
        if size > MAX_DATA_SIZE:
            raise ScriptLimitExceeded(f"脚本变量 {key} 过大（超过 {MAX_DATA_SIZE} 个元素或字符）")
    return value
