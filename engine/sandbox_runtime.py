"""The run-time half of the script sandbox: the guard that applies the limits
(engine/sandbox_limits.py) and the allowlist (engine/sandbox_allowlist.py) to actual values.

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
from engine.sandbox_limits import (
    MAX_ALLOCATED,
    MAX_INT_BITS,
    MAX_LENGTH,
    MAX_ROUND_DIGITS,
    TIME_LIMIT,
    TIMEOUT,
    TOO_BIG_INT,
    TOO_LONG,
    TOO_MUCH,
    measure,
    weigh,
)
from engine.sandbox_methods import CHECKED

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
# Methods that compare their receiver's items with an argument or with each other.
_COMPARING = frozenset({"count", "index", "remove", "sort"})


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
        weigh(value)
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
        else:  # dict views take any iterable: `d.keys() & items` hashes every item
            self.tick()
            weigh(left, keys=True)
            weigh(right, keys=True)

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
        for argument in (*args, *kwargs.values()):  # may be compared, or hashed as keys
            weigh(argument, keys=type(value) is set)
        if name in _COMPARING and type(value) in (list, tuple):
            weigh(value)
        checked = CHECKED.get((type(value), name))
        if checked is not None:
            return checked(self, value, *args, **kwargs)
        result = getattr(value, name)(*args, **kwargs)
        if kind & MAKES and type(result) in _SIZED:
            self.charge(len(result))
        return result

    def keys_checked(self, items: Iterable[Any], *, pairs: bool = False) -> list[Any]:
        """Materialise an iterable whose items (or, for dict(), the first of each pair) are
        about to be hashed in one call (set(), dict())."""
        self.tick()
        found = list(items)
        self.charge(len(found))
        if pairs:
            keys = [p[0] if type(p) in (list, tuple) and len(p) == 2 else p for p in found]
            weigh(keys, keys=True)
        else:
            weigh(found, keys=True)
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
            args = (self.keys_checked(args[0], pairs=True), *args[1:])
        result = dict(*args, **kwargs)
        self.charge(len(result))
        return result

    def b_sorted(self, iterable: Iterable[Any], /, *, reverse: bool = False) -> list[Any]:
        found = self.b_list(iterable)
        weigh(found)
        found.sort(reverse=reverse)
        return found

    def _compared(self, args: tuple[Any, ...]) -> list[Any]:
        """The items min() or max() compares: one iterable's, or the arguments."""
        found = self.b_list(args[0]) if len(args) == 1 else list(args)
        weigh(found)
        return found

    def b_min(self, *args: Any, default: Any = _MISSING) -> Any:
        found = self._compared(args)
        return min(found) if default is _MISSING else min(found, default=default)

    def b_max(self, *args: Any, default: Any = _MISSING) -> Any:
        found = self._compared(args)
        return max(found) if default is _MISSING else max(found, default=default)

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
