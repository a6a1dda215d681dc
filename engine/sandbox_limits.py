"""The limits of the script sandbox, each one constant in one place, with the Chinese
message a script gets when it hits one, and the two walks that enforce the size and nesting
limits without building anything (engine/sandbox_runtime.py applies them)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from engine.errors import ScriptLimitExceeded

TIME_LIMIT = 0.2  # seconds (wall clock) for one script or expression, loops included
MAX_LENGTH = 100_000  # items or characters in one value a script makes
MAX_ALLOCATED = 2_000_000  # items or characters made in one evaluation, all values together
MAX_INT_BITS = 10_000  # ≈3,000 decimal digits, below Python's 4,300-digit str() limit
MAX_DEPTH = 20  # nesting of lists, tuples and dicts
MAX_WEIGHT = 1_000_000  # items and characters one comparison or hash may visit
MAX_ROUND_DIGITS = 100  # round(x, n): Python computes 10 ** -n for a negative n
MAX_FORMAT_LENGTH = 100  # a date format: strftime pads (%99Y) and retries up to 256x its length

TIMEOUT = f"脚本运行超时（超过 {round(TIME_LIMIT * 1000)} 毫秒）"
TOO_LONG = f"计算结果过大（超过 {MAX_LENGTH} 个元素或字符）"
TOO_MUCH = f"脚本占用内存过多（单次运行累计超过 {MAX_ALLOCATED} 个元素或字符）"
TOO_BIG_INT = f"整数过大（超过 {MAX_INT_BITS} 个二进制位）"
TOO_DEEP = f"数据嵌套过深（超过 {MAX_DEPTH} 层）"
TOO_HEAVY = f"比较或用作键的数据过大（超过 {MAX_WEIGHT} 个元素或字符，重复引用的部分重复计算）"
TOO_BIG_KEY = "用作集合元素或字典键的整数过大（绝对值须小于 2 的 61 次方减 1）"

_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))
_CONTAINERS = frozenset({list, tuple, dict, set, *_VIEWS})
_MODULUS = sys.hash_info.modulus  # 2**61 - 1: integers this far apart hash alike


def weigh(value: Any, *, keys: bool = False) -> None:
    """Refuse a value too costly to compare or hash, before Python does it in C: nested past
    MAX_DEPTH (CPython hashes nested tuples recursively in C with no depth check, and a tuple
    ~100,000 deep crashes the process), or with more than MAX_WEIGHT items and characters,
    a part counted each time it is reached (100,000 references to one long list take
    100,000 items to build and 10**10 to compare). With `keys`, for values about to become
    many keys at once, also integers past the hash modulus: Python hashes them alike, and a
    set of many is built in quadratic time."""
    kind = type(value)
    if kind not in _CONTAINERS:
        if keys and kind is int and abs(value) >= _MODULUS:
            raise ScriptLimitExceeded(TOO_BIG_KEY)
        return
    total = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ScriptLimitExceeded(TOO_DEEP)
        children = (*item.keys(), *item.values()) if type(item) is dict else tuple(item)
        kinds = set(map(type, children))  # in C: most values hold no containers
        total += len(children)
        if str in kinds:
            total += sum(map(len, filter(str.__instancecheck__, children)))
        if total > MAX_WEIGHT:
            raise ScriptLimitExceeded(TOO_HEAVY)
        if (
            keys
            and int in kinds
            and max(map(abs, filter(int.__instancecheck__, children))) >= _MODULUS
        ):
            raise ScriptLimitExceeded(TOO_BIG_KEY)
        if not kinds.isdisjoint(_CONTAINERS):
            stack.extend((child, depth + 1) for child in children if type(child) in _CONTAINERS)


def measure(value: Any) -> int:
    """An upper estimate of len(str(value)), found without building the string: a list that
    holds one long string many times would otherwise print to gigabytes."""
    if type(value) is str:
        return len(value)
    total = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is str:
            # repr() escapes: at most \\U0001xxxx (10 characters) for one unprintable one.
            total += (2 if item.isprintable() else 10) * len(item) + 2
        elif kind is int:
            total += item.bit_length() // 3 + 2
        elif kind in (list, tuple, set, dict) or isinstance(item, _VIEWS):
            if depth >= MAX_DEPTH:
                raise ScriptLimitExceeded(TOO_DEEP)
            children: Iterable[Any] = (
                (x for pair in item.items() for x in pair) if kind is dict else item
            )
            stack.extend((child, depth + 1) for child in children)
            total += 4 * len(item) + 20
        else:
            total += 100
        if total > MAX_LENGTH:
            raise ScriptLimitExceeded(TOO_LONG)
    return total
