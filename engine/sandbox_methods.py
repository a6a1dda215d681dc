"""The methods on the sandbox's allowlist that need more than a call: those whose result
can be far larger than their operands (join, replace, extend, update) are sized first, and
those that would take a function (sort's key=) or a format that sizes the result (strftime)
are held to safe arguments. Run.call (engine/sandbox_runtime.py) dispatches to them."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from engine.errors import ScriptLimitExceeded, ScriptRefused
from engine.sandbox_limits import MAX_FORMAT_LENGTH, MAX_LENGTH, TOO_LONG

if TYPE_CHECKING:
    from engine.sandbox_runtime import Run


def _join(run: Run, separator: str, items: Iterable[Any]) -> str:
    found = run.b_list(items)
    if all(type(item) is str for item in found):
        run.charge(sum(map(len, found)) + len(separator) * max(len(found) - 1, 0))
    return separator.join(found)


def _replace(run: Run, text: str, old: str, new: str, count: int = -1) -> str:
    found = text.count(old) if old else len(text) + 1
    if type(count) in (int, bool) and count >= 0:
        found = min(found, count)
    run.charge(max(len(text) + found * (len(new) - len(old)), 0))
    return text.replace(old, new, count)


def _extend(run: Run, target: list[Any], items: Iterable[Any]) -> None:
    found = run.b_list(items)
    if len(target) + len(found) > MAX_LENGTH:
        raise ScriptLimitExceeded(TOO_LONG)
    target.extend(found)


def _update(run: Run, target: dict[Any, Any], *args: Any, **kwargs: Any) -> None:
    added = run.b_dict(*args, **kwargs)
    if len(target) + len(added) > MAX_LENGTH:
        raise ScriptLimitExceeded(TOO_LONG)
    target.update(added)


def _strftime(run: Run, value: _dt.date, template: str) -> str:
    if type(template) is str and len(template) > MAX_FORMAT_LENGTH:
        raise ScriptRefused(f"strftime 的格式过长（超过 {MAX_FORMAT_LENGTH} 个字符）")
    result = value.strftime(template)
    run.charge(len(result))
    return result


def _sort(run: Run, target: list[Any], *, reverse: bool = False) -> None:
    run.tick()
    target.sort(reverse=reverse)  # no key=: it would call a function the script passed


CHECKED: dict[tuple[type, str], Callable[..., Any]] = {
    (str, "join"): _join,
    (str, "replace"): _replace,
    (list, "extend"): _extend,
    (list, "sort"): _sort,
    (dict, "update"): _update,
    (_dt.date, "strftime"): _strftime,
    (_dt.datetime, "strftime"): _strftime,
}
