"""The run-time half of the script sandbox: the limits, and what may be done to a value.

The checker (engine/sandbox_rules.py) rewrites every script so that whatever could run long
or grow large goes through the `Run` made for that one evaluation: loops and comprehensions
call `tick`, arithmetic goes through `op`, method calls through `call`, reading an attribute
through `attr`, slices through `slice`, builtins through the `b_*` wrappers. A `Run` holds the
evaluation's deadline and its allocation budget; scripts cannot name it (it sits under a
double-underscore name, and such names are refused).

Sizes are refused before they are built wherever the size can be known first (`'a' * n`,
`x ** n`, `x << n`, `a + b`, joins and replaces), and charged against the budget otherwise.
Only plain data types have methods or attributes here, each from a short list, and a method
is only ever called in place: no bound method object reaches a script."""

from __future__ import annotations

import builtins
import datetime as _dt
import math
import operator
from collections.abc import Callable, Iterable
from time import perf_counter
from typing import Any

from engine.errors import ScriptLimitExceeded, ScriptRefused
from engine.sandbox_allowlist import ATTRIBUTES, CLASS_METHODS, MAKES, METHODS, MUTATES, TYPES

TIME_LIMIT = 0.2  # seconds (wall clock) for one script or expression, loops included
MAX_LENGTH = 100_000  # items or characters in one value a script makes
MAX_ALLOCATED = 2_000_000  # items or characters made in one evaluation, all values together
MAX_INT_BITS = 10_000  # ≈3,000 decimal digits, below Python's 4,300-digit str() limit
MAX_DEPTH = 20  # nesting of lists, tuples and dicts
MAX_ROUND_DIGITS = 100  # round(x, n): Python computes 10 ** -n for a negative n

TIMEOUT = f"脚本运行超时（超过 {round(TIME_LIMIT * 1000)} 毫秒）"
TOO_LONG = f"计算结果过大（超过 {MAX_LENGTH} 个元素或字符）"
TOO_MUCH = f"脚本占用内存过多（单次运行累计超过 {MAX_ALLOCATED} 个元素或字符）"
TOO_BIG_INT = f"整数过大（超过 {MAX_INT_BITS} 个二进制位）"
TOO_DEEP = f"数据嵌套过深（超过 {MAX_DEPTH} 层）"

_INTS = frozenset({int, bool})
_NUMBERS = frozenset({int, float, bool})
_SEQUENCES = frozenset({str, list, tuple})
_SIZED = frozenset({str, list, tuple, dict, set})
_SMALL = frozenset({int, float, bool, type(None), _dt.date, _dt.datetime, _dt.timedelta})

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
    "lshift": operator.lshift,
    "rshift": operator.rshift,
    "or": operator.or_,
    "xor": operator.xor,
    "and": operator.and_,
}
_IN_PLACE: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.iadd,
    "sub": operator.isub,
    "mul": operator.imul,
    "truediv": operator.itruediv,
    "floordiv": operator.ifloordiv,
    "mod": operator.imod,
    "pow": operator.ipow,
    "lshift": operator.ilshift,
    "rshift": operator.irshift,
    "or": operator.ior,
    "xor": operator.ixor,
    "and": operator.iand,
}
# Operators that can build something big out of small operands: always checked.
_GROWING = frozenset({"mul", "pow", "lshift"})
_MISSING: Any = object()
_REPR: dict[int, Callable[[Any], str]] = {ord("r"): repr, ord("a"): ascii}
_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))


def check_depth(value: tuple[Any, ...]) -> None:
    """Refuse a tuple nested too deeply to hash: CPython hashes nested tuples recursively in
    C without a depth check, and a tuple nested ~100,000 deep crashes the process."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ScriptLimitExceeded(TOO_DEEP)
        stack.extend((child, depth + 1) for child in item if type(child) is tuple)


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


def _describe(value: Any) -> str:
    return value.__name__ if type(value) is type else type(value).__name__


class Run:
    """One evaluation: its deadline, its allocation budget, and whether it may change data."""

    __slots__ = ("budget", "deadline", "may_mutate")

    def __init__(self, *, may_mutate: bool) -> None:
        self.deadline = perf_counter() + TIME_LIMIT
        self.budget = MAX_ALLOCATED
        self.may_mutate = may_mutate

    def tick(self) -> bool:
        """Called on every round of every loop, and before every operation that takes time in
        proportion to its operands; True so that it can stand in a comprehension's `if`."""
        if perf_counter() > self.deadline:
            raise ScriptLimitExceeded(TIMEOUT)
        return True

    def charge(self, size: int) -> None:
        """Before (or, where the size cannot be known first, right after) building a value."""
        if size > MAX_LENGTH:
            raise ScriptLimitExceeded(TOO_LONG)
        self.budget -= size
        if self.budget < 0:
            raise ScriptLimitExceeded(TOO_MUCH)
        self.tick()

    def v(self, value: Any) -> Any:
        """A value about to be compared, hashed or used as a key."""
        self.tick()
        if type(value) is tuple:
            check_depth(value)
        return value

    def fmt(self, value: Any, conversion: int = -1, spec: str = "") -> str:
        """One `{value!conversion:spec}` of an f-string (the checker keeps spec constant and its
        numbers below 100), formatted here after measuring the value."""
        if type(value) in _SMALL:
            self.tick()
        else:  # !r and !a show strings quoted and escaped, as inside a list
            self.charge(measure([value] if conversion in _REPR else value))
        if conversion in _REPR:
            value = _REPR[conversion](value)
        elif conversion == ord("s"):
            value = str(value)
        return format(value, spec)

    def op(self, name: str, left: Any, right: Any) -> Any:
        if name in _GROWING or type(left) not in _NUMBERS or type(right) not in _NUMBERS:
            self._guard(name, left, right)
        return _OPERATORS[name](left, right)

    def aug(self, name: str, left: Any, right: Any) -> Any:
        """`x op= y`: in place where Python does it in place (lists, sets)."""
        if name in _GROWING or type(left) not in _NUMBERS or type(right) not in _NUMBERS:
            self._guard(name, left, right)
        return _IN_PLACE[name](left, right)

    def aug_item(self, name: str, target: Any, key: Any, right: Any) -> None:
        """`target[key] op= right`."""
        self.v(key)
        target[key] = self.aug(name, target[key], right)

    def _guard(self, name: str, left: Any, right: Any) -> None:
        lt, rt = type(left), type(right)
        if name == "mul":
            if lt in _INTS and rt in _INTS:
                self._bits(left.bit_length() + right.bit_length())
            elif lt in _SEQUENCES and rt in _INTS:
                self.charge(len(left) * max(right, 0))
            elif rt in _SEQUENCES and lt in _INTS:
                self.charge(len(right) * max(left, 0))
        elif name == "pow":
            if lt in _INTS and rt in _INTS and right > 1 and abs(left) > 1:
                # The result has right * log2(|left|) bits: refuse before computing it.
                self._bits(right if right > MAX_INT_BITS else right * math.log2(abs(left)))
        elif name == "lshift":
            if lt in _INTS and rt in _INTS and left and right > 0:
                self._bits(left.bit_length() + right)
        elif name == "mod" and lt is str:
            raise ScriptRefused("不允许用 % 格式化字符串，请用 f-string 或 + 拼接")
        elif lt in _SIZED and rt in _SIZED:
            grows = name in ("add", "or", "xor")
            self.charge(len(left) + len(right) if grows else len(left))
        else:
            self.tick()

    @staticmethod
    def _bits(bits: float) -> None:
        if bits > MAX_INT_BITS:
            raise ScriptLimitExceeded(TOO_BIG_INT)

    def slice(self, value: Any, lower: Any, upper: Any, step: Any) -> Any:
        part = builtins.slice(lower, upper, step)
        if type(value) in _SEQUENCES:
            self.charge(len(range(*part.indices(len(value)))))
        return value[part]

    def attr(self, value: Any, name: str) -> Any:
        allowed = ATTRIBUTES.get(type(value))
        if allowed is None or name not in allowed:
            raise ScriptRefused(f"不允许读取 {_describe(value)} 的属性 {name}")
        return getattr(value, name)

    def call(self, value: Any, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """`value.name(*args, **kwargs)` for a method on the allowlist of value's exact type."""
        self.tick()
        kinds = CLASS_METHODS.get(value) if type(value) is type else METHODS.get(type(value))
        kind = None if kinds is None else kinds.get(name)
        if kind is None:
            raise ScriptRefused(f"不允许调用 {_describe(value)} 的方法 {name}")
        if kind & MUTATES and not self.may_mutate:
            raise ScriptRefused(f"条件表达式不能修改数据（{name}）")
        for argument in (*args, *kwargs.values()):
            if type(argument) is tuple:  # may be hashed as a key
                check_depth(argument)
        checked = _CHECKED.get((type(value), name))
        if checked is not None:
            return checked(self, value, *args, **kwargs)
        result = getattr(value, name)(*args, **kwargs)
        if kind & MAKES and type(result) in _SIZED:
            self.charge(len(result))
        return result

    def keys_checked(self, items: Iterable[Any]) -> list[Any]:
        """Materialise an iterable whose items are about to be hashed (set(), dict())."""
        self.tick()
        found = list(items)
        self.charge(len(found))
        for item in found:
            if type(item) is tuple:
                check_depth(item)
        return found

    # The builtins a script may call, by the name `b_<builtin>`. Each takes time or builds
    # something in proportion to its argument, so each ticks or charges first; those that
    # would call a function given to them (key=, map, filter) are not offered.
    b_abs = builtins.abs
    b_bool = builtins.bool
    b_divmod = builtins.divmod
    b_enumerate = builtins.enumerate
    b_len = builtins.len
    b_reversed = builtins.reversed
    b_zip = builtins.zip
    b_date = _dt.date
    b_datetime = _dt.datetime
    b_timedelta = _dt.timedelta
    b_timezone = _dt.timezone
    b_floor = math.floor
    b_ceil = math.ceil

    def b_all(self, iterable: Iterable[Any]) -> bool:
        self.tick()
        return all(iterable)

    def b_any(self, iterable: Iterable[Any]) -> bool:
        self.tick()
        return any(iterable)

    def b_float(self, *args: Any) -> float:
        self.tick()
        return float(*args)

    def b_int(self, *args: Any) -> int:
        self.tick()  # int() of a string is held to 4,300 digits by Python itself
        return int(*args)

    def b_str(self, value: Any = "") -> str:
        if type(value) is str:
            return value
        return self.fmt(value, ord("s"))

    def b_list(self, iterable: Iterable[Any] = ()) -> list[Any]:
        self.tick()
        found = list(iterable)
        self.charge(len(found))
        return found

    def b_tuple(self, iterable: Iterable[Any] = ()) -> tuple[Any, ...]:
        return tuple(self.b_list(iterable))

    def b_set(self, iterable: Iterable[Any] = ()) -> set[Any]:
        return set(self.keys_checked(iterable))

    def b_dict(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        if args and type(args[0]) is not dict:
            args = (self.keys_checked(args[0]), *args[1:])
        result = dict(*args, **kwargs)
        self.charge(len(result))
        return result

    def b_sorted(self, iterable: Iterable[Any], /, *, reverse: bool = False) -> list[Any]:
        found = self.b_list(iterable)
        found.sort(reverse=reverse)
        return found

    def b_min(self, *args: Any, default: Any = _MISSING) -> Any:
        self.tick()
        return min(*args) if default is _MISSING else min(*args, default=default)

    def b_max(self, *args: Any, default: Any = _MISSING) -> Any:
        self.tick()
        return max(*args) if default is _MISSING else max(*args, default=default)

    def b_sum(self, iterable: Iterable[Any], /, start: Any = 0) -> Any:
        # With a number to start from, sum() can only add numbers: a list of lists or of
        # strings fails on its first item instead of being concatenated.
        if type(start) not in _NUMBERS and type(start) is not _dt.timedelta:
            raise ScriptRefused("sum 只能对数字或时间间隔求和")
        self.tick()
        return sum(iterable, start)

    def b_range(self, *args: int) -> range:
        span = range(*args)
        try:
            length = len(span)
        except OverflowError:
            length = MAX_LENGTH + 1
        if length > MAX_LENGTH:
            raise ScriptLimitExceeded(TOO_LONG)
        return span

    def b_round(self, number: Any, ndigits: Any = None) -> Any:
        if type(ndigits) in _INTS and abs(ndigits) > MAX_ROUND_DIGITS:
            raise ScriptLimitExceeded(f"round 的位数超出范围（±{MAX_ROUND_DIGITS}）")
        return round(number, ndigits)

    def b_isinstance(self, value: Any, names: tuple[str, ...]) -> bool:
        return isinstance(value, tuple(TYPES[name] for name in names))


def _join(run: Run, separator: str, items: Iterable[Any]) -> str:
    found = run.b_list(items)
    if all(type(item) is str for item in found):
        run.charge(sum(map(len, found)) + len(separator) * max(len(found) - 1, 0))
    return separator.join(found)


def _replace(run: Run, text: str, old: str, new: str, count: int = -1) -> str:
    found = text.count(old) if old else len(text) + 1
    if type(count) in _INTS and count >= 0:
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


def _sort(run: Run, target: list[Any], *, reverse: bool = False) -> None:
    run.tick()
    target.sort(reverse=reverse)  # no key=: it would call a function the script passed


_CHECKED: dict[tuple[type, str], Callable[..., Any]] = {
    (str, "join"): _join,
    (str, "replace"): _replace,
    (list, "extend"): _extend,
    (list, "sort"): _sort,
    (dict, "update"): _update,
}
