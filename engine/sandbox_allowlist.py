"""The allowlist of the script sandbox, in one place: the syntax a script may use, the
builtins it may call, and the methods and attributes it may use on each type of value.

Everything not named here is refused, by the checker (engine/sandbox_rules.py) at deploy and
again by the run-time guard (engine/sandbox_runtime.py) on the actual value. A new kind of
syntax in a later Python is refused until someone adds it here on purpose."""

from __future__ import annotations

import ast
import datetime as _dt

ALLOWED_NODES: frozenset[type[ast.AST]] = frozenset(
    {
        # the two kinds of source: a script (statements) and an expression
        ast.Module,
        ast.Expression,
        # statements
        ast.Assign,
        ast.AugAssign,
        ast.Expr,
        ast.If,
        ast.For,
        ast.While,
        ast.Break,
        ast.Continue,
        ast.Pass,
        # expressions
        ast.BoolOp,
        ast.BinOp,
        ast.UnaryOp,
        ast.IfExp,
        ast.Compare,
        ast.Call,
        ast.keyword,
        ast.Constant,
        ast.Name,
        ast.Attribute,
        ast.Subscript,
        ast.Slice,
        ast.List,
        ast.Tuple,
        ast.Dict,
        ast.Set,
        ast.ListComp,
        ast.SetComp,
        ast.DictComp,
        ast.comprehension,
        ast.JoinedStr,
        ast.FormattedValue,
        # contexts and operators
        ast.Load,
        ast.Store,
        ast.And,
        ast.Or,
        ast.Not,
        ast.Invert,
        ast.UAdd,
        ast.USub,
        ast.Eq,
        ast.NotEq,
        ast.Lt,
        ast.LtE,
        ast.Gt,
        ast.GtE,
        ast.Is,
        ast.IsNot,
        ast.In,
        ast.NotIn,
    }
)
BINARY_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "truediv",
    ast.FloorDiv: "floordiv",
    ast.Mod: "mod",
    ast.Pow: "pow",
    ast.LShift: "lshift",
    ast.RShift: "rshift",
    ast.BitOr: "or",
    ast.BitXor: "xor",
    ast.BitAnd: "and",
}
# Messages for the refused syntax people are likely to try; anything else gets its AST name.
REFUSED: dict[type[ast.AST], str] = {
    ast.Import: "不允许 import",
    ast.ImportFrom: "不允许 import",
    ast.FunctionDef: "不允许定义函数",
    ast.AsyncFunctionDef: "不允许定义函数",
    ast.Lambda: "不允许 lambda",
    ast.ClassDef: "不允许定义类",
    ast.Return: "不允许 return",
    ast.GeneratorExp: "不允许生成器表达式（请用列表推导式）",
    ast.Yield: "不允许 yield",
    ast.YieldFrom: "不允许 yield",
    ast.Await: "不允许 await",
    ast.Global: "不允许 global",
    ast.Nonlocal: "不允许 nonlocal",
    ast.With: "不允许 with",
    ast.AsyncWith: "不允许 with",
    ast.AsyncFor: "不允许 async for",
    ast.Try: "不允许 try",
    ast.TryStar: "不允许 try/except*",
    ast.Raise: "不允许 raise",
    ast.Assert: "不允许 assert",
    ast.Delete: "不允许 del",
    ast.Match: "不允许 match 模式匹配",
    ast.NamedExpr: "不允许海象运算符 :=",
    ast.Starred: "不允许 * 解包",
    ast.AnnAssign: "不允许类型注解",
    ast.MatMult: "不允许 @ 运算符",
}
# The builtins and helpers a script may call (only call: a script never holds one as a
# value). Each is a `b_<name>` wrapper of the run-time guard. Left out on purpose: every way
# to reach objects by name (getattr, vars, globals, type, eval...), everything that calls a
# function it is given (map, filter, key=), I/O (open, print, input) and bytes.
BUILTINS = frozenset(
    {
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "divmod",
        "enumerate",
        "float",
        "int",
        "isinstance",
        "len",
        "list",
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
        "date",
        "datetime",
        "timedelta",
        "timezone",
        "floor",
        "ceil",
    }
)

# What each method does, as flags: MAKES builds a new value (charged by its size), MUTATES
# changes the value in place (refused in conditions, which must not change task data).
READS, MAKES, MUTATES = 0, 1, 2


def _kinds(reads: str = "", makes: str = "", mutates: str = "") -> dict[str, int]:
    kinds = dict.fromkeys(reads.split(), READS)
    kinds.update(dict.fromkeys(makes.split(), MAKES))
    kinds.update(dict.fromkeys(mutates.split(), MUTATES))
    return kinds


_DATE_READS = "isocalendar isoformat isoweekday replace toordinal weekday"
# Left out on purpose: str.format/format_map (their fields read attributes: '{0.__class__}'),
# center/ljust/rjust/zfill/expandtabs (a width is a size), encode/translate, and every
# method of numbers, functions, types and other objects.
METHODS: dict[type, dict[str, int]] = {
    str: _kinds(
        reads="count endswith find index isalnum isalpha isascii isdecimal isdigit islower"
        " isnumeric isspace istitle isupper rfind rindex startswith",
        makes="capitalize casefold join lower lstrip partition removeprefix removesuffix"
        " replace rpartition rsplit rstrip split splitlines strip swapcase title upper",
    ),
    list: _kinds(
        reads="count index",
        makes="copy",
        mutates="append clear extend insert pop remove reverse sort",
    ),
    dict: _kinds(
        reads="get items keys values",
        makes="copy",
        mutates="clear pop popitem setdefault update",
    ),
    set: _kinds(
        reads="isdisjoint issubset issuperset",
        makes="copy",
        mutates="add clear discard pop remove",
    ),
    tuple: _kinds(reads="count index"),
    _dt.date: _kinds(reads=_DATE_READS, makes="strftime"),
    _dt.datetime: _kinds(reads=_DATE_READS + " astimezone date", makes="strftime"),
    _dt.timedelta: _kinds(reads="total_seconds"),
}
CLASS_METHODS: dict[type, dict[str, int]] = {
    _dt.date: _kinds(reads="fromisoformat"),
    _dt.datetime: _kinds(reads="fromisoformat"),
}
ATTRIBUTES: dict[type, frozenset[str]] = {
    _dt.date: frozenset({"year", "month", "day"}),
    _dt.datetime: frozenset({"year", "month", "day", "hour", "minute", "second", "microsecond"}),
    _dt.timedelta: frozenset({"days", "seconds", "microseconds"}),
}
# The types `isinstance` may ask about, by the names a script writes.
TYPES: dict[str, type] = {
    "bool": bool,
    "date": _dt.date,
    "datetime": _dt.datetime,
    "dict": dict,
    "float": float,
    "int": int,
    "list": list,
    "set": set,
    "str": str,
    "timedelta": _dt.timedelta,
    "tuple": tuple,
}
METHOD_NAMES = frozenset(
    name for table in (*METHODS.values(), *CLASS_METHODS.values()) for name in table
)
ATTRIBUTE_NAMES = frozenset(name for names in ATTRIBUTES.values() for name in names)
CLASS_NAMES = {cls.__name__: cls for cls in CLASS_METHODS}
