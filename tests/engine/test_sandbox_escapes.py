"""Escape attempts against the script sandbox, one technique each.

Every attempt must be refused at deploy (by the checker, and through the deploy check of a
whole diagram) and again when run directly, in case a diagram got past deploy some other
way. The attempts that only a value can give away (a string from the task data on the left
of `%`, a method of the wrong type) are refused at run time by the guard itself."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest

from engine import definitions, sandbox
from engine.errors import ScriptRefused
from engine.sandbox_runtime import Run
from tests.engine.conftest import diagram
from tests.engine.host import FakeHost

# (technique, script). Each is written as a script; the expressions are below.
SCRIPTS: list[tuple[str, str]] = [
    # attribute walks
    ("walk __class__/__base__/__subclasses__", "x = ().__class__.__base__.__subclasses__()"),
    ("walk __mro__", "x = [].__class__.__mro__[1].__subclasses__()"),
    ("walk __globals__ of a helper", "x = date.__init__.__globals__"),
    ("walk __bases__", "x = (1).__class__.__bases__[0]"),
    ("walk __self__ of a builtin", "x = len.__self__"),
    ("walk __dict__ of a class", "x = date.__dict__['today']"),
    ("walk __getattribute__", "x = items.__getattribute__('pop')"),
    ("walk __builtins__ by name", "x = __builtins__['eval']"),
    ("walk __import__", "x = __import__('os').system('id')"),
    ("walk mro() without underscores", "x = str.mro()"),
    ("walk gi_frame/f_back", "x = items.gi_frame.f_back.f_globals"),
    ("walk tb_frame", "x = err.tb_frame.f_globals"),
    ("walk f_builtins", "x = frame.f_builtins"),
    ("walk __reduce_ex__", "x = name.__reduce_ex__(2)"),
    ("walk __subclasshook__ via a date", "x = date(2022, 1, 1).__subclasshook__"),
    # format strings
    ("str.format field access", "x = '{0.year}'.format(date(2022, 1, 1))"),
    ("str.format with dunder field", "x = '{0.__class__}'.format(1)"),
    ("str.format on a data string", "x = name.format(items)"),
    ("str.format_map", "x = '{a.real}'.format_map({'a': 1})"),
    ("format builtin", "x = format(amount, 'x')"),
    ("f-string with a computed spec", "x = f'{amount:{name}}'"),
    ("f-string with a huge width", "x = f'{amount:>1000000000}'"),
    ("f-string with a huge precision", "x = f'{amount:.999999f}'"),
    ("f-string with a long date format", "x = f'{date(2022, 1, 1):" + "%99Y" * 30 + "}'"),
    ("%-formatting with a dict lookup", "x = '%(a)s' % {'a': items}"),
    ("%-formatting with a star width", "x = '%*s' % (10 ** 9, 'a')"),
    ("%-formatting an f-string", "x = f'%s{name}' % items"),
    # pattern matching
    ("match class pattern keyword attr", "match name:\n    case str(format=fm):\n        x = fm"),
    (
        "match class pattern dunder attr",
        "match name:\n    case str(__reduce_ex__=rx):\n        x = 1",
    ),
    ("match as capture", "match items:\n    case [first, *rest] as whole:\n        x = rest"),
    ("match mapping pattern", "match data:\n    case {'a': a, **rest}:\n        x = rest"),
    ("match with fullwidth attr", "match name:\n    case str(ｆormat=fm):\n        x = fm"),
    # exceptions
    ("except* group capture", "try:\n    x = 1 / 0\nexcept* ZeroDivisionError as eg:\n    x = eg"),
    (
        "except capturing the traceback",
        "try:\n    x = 1 / 0\nexcept Exception as e:\n    x = e.__traceback__.tb_frame",
    ),
    ("bare try/finally", "try:\n    x = 1\nfinally:\n    y = 2"),
    ("raise", "raise ValueError('x')"),
    ("assert", "assert amount"),
    # generators, frames, functions, classes
    ("generator expression frame", "x = (i for i in items).gi_frame.f_back"),
    ("generator function", "def g():\n    yield 1\nx = g().gi_frame"),
    ("async function", "async def f():\n    await g()"),
    ("decorator", "@property\ndef f(self):\n    pass"),
    ("lambda", "f = lambda: 1\nx = f()"),
    ("lambda globals", "x = (lambda: 0).__globals__"),
    ("def with a default capturing data", "def f(x=items):\n    return x"),
    ("class definition", "class A:\n    pass"),
    ("global", "global items\nitems = 1"),
    ("del", "del items"),
    ("with", "with open('x') as f:\n    pass"),
    ("import", "import os"),
    ("from import", "from os import system"),
    ("annotated assignment", "x: int = 1"),
    # unicode lookalikes (Python NFKC-normalises identifiers)
    ("fullwidth letters in a dunder", "x = ().__\uff43\uff4c\uff41\uff53\uff53__"),
    ("dashed low line", "x = ()._\ufe4dclass__"),
    ("mathematical bold eval", "x = \U0001d41e\U0001d42f\U0001d41a\U0001d425('1')"),
    ("fullwidth format method", "x = 'x'.\uff46\uff4f\uff52\uff4d\uff41\uff54(1)"),
    ("ligature fi in filter", "x = \ufb01lter(None, items)"),
    (
        "script-math getattr",
        "x = \U0001d4f0\U0001d4ee\U0001d4fd\U0001d4ea\U0001d4fd\U0001d4fd\U0001d4fb(items, 'pop')",
    ),
    ("fullwidth dunder string", "x = '\uff3f\uff3fclass\uff3f\uff3f'"),
    # names built from strings
    ("getattr of a built name", "x = getattr(items, '_' + '_class__')"),
    ("vars() by a built name", "x = vars()['_' + '_builtins__']"),
    ("globals()", "x = globals()['items']"),
    ("eval", "x = eval('1 + 1')"),
    ("exec", "exec('import os')"),
    ("compile", "x = compile('1', 'f', 'eval')"),
    ("dunder string constant", "x = '__class__'"),
    # dict and str method tricks
    ("class method of dict", "x = dict.fromkeys(items)"),
    ("str.maketrans", "x = str.maketrans('a', 'b')"),
    ("str.encode to bytes", "x = name.encode()"),
    ("method as a value", "f = items.pop\nx = f()"),
    ("bound method __self__", "x = data.get.__self__"),
    ("str.center width", "x = name.center(10 ** 9)"),
    ("str.zfill width", "x = name.zfill(10 ** 9)"),
    ("date.today outside the clock", "x = date.today()"),
    ("setting an attribute", "items.append = 1"),
    # builtins and callables reached through values
    ("call a callable from the data", "x = fn('id')"),
    ("call a callable out of a list", "x = [fn][0]('id')"),
    ("call a callable out of a dict", "x = data['fn']('id')"),
    ("hand a data callable to sorted", "x = sorted(items, key=fn)"),
    ("hand a data callable to max", "x = max(items, key=fn)"),
    ("map", "x = list(map(fn, items))"),
    ("builtin as a value", "f = sum\nx = f(items)"),
    ("type()", "x = type(items)"),
    ("object subclasses", "x = object.__subclasses__()"),
    ("open", "x = open('/etc/passwd').read()"),
    ("print", "print(items)"),
    ("breakpoint", "breakpoint()"),
    ("isinstance against a data value", "x = isinstance(items, fn)"),
    ("overwrite a builtin name", "len = fn"),
    # walrus, star-unpacking, subscripts of modules
    ("walrus", "x = [(y := f) for f in items]"),
    ("star unpacking into a list", "x = [*items, *items]"),
    ("star arguments", "x = max(*items)"),
    ("double-star dict display", "x = {**data}"),
    ("double-star arguments", "x = dict(**data)"),
    ("starred assignment", "a, *rest = items"),
    ("module attribute subscript", "x = sys.modules['os']"),
    ("helper module attribute", "x = math.floor"),
    ("slice assignment growing a list", "items[:0] = items"),
    # constants the data never holds
    ("bytes constant", "x = b'abc'"),
    ("complex constant", "x = 1j"),
    ("ellipsis", "x = ..."),
    ("matrix multiplication", "x = items @ items"),
]

# Conditions and timers, checked as expressions.
EXPRESSIONS: list[tuple[str, str]] = [
    ("walk in a condition", "approved.__class__ == 1"),
    ("format in a condition", "'{0.__class__}'.format(1) == ''"),
    ("lambda in a condition", "(lambda: True)()"),
    ("walrus in a condition", "(x := 1) == 1"),
    ("generator in a condition", "any(x for x in items)"),
    ("fullwidth getattr in a timer", "\uff47etattr(items, 'pop')"),
    ("data callable in a timer", "fn()"),
]

DATA: dict[str, Any] = {
    "items": [1, 2, 3],
    "name": "张三",
    "amount": 1800,
    "approved": True,
    "data": {"a": 1, "fn": os.getcwd},
    "fn": os.getcwd,
}


def _id(case: tuple[str, str]) -> str:
    return case[0]


def test_the_corpus_covers_enough_techniques() -> None:
    assert len(SCRIPTS) + len(EXPRESSIONS) >= 60
    assert len({name for name, _ in SCRIPTS + EXPRESSIONS}) == len(SCRIPTS) + len(EXPRESSIONS)


@pytest.mark.parametrize("case", SCRIPTS, ids=_id)
def test_script_escapes_are_refused_at_deploy_and_at_run(case: tuple[str, str]) -> None:
    _, source = case
    with pytest.raises(ScriptRefused):
        sandbox.check_script(source)
    data = dict(DATA)
    with pytest.raises(ScriptRefused):
        sandbox.execute(source, data)
    assert data == DATA, "nothing was written"


@pytest.mark.parametrize("case", EXPRESSIONS, ids=_id)
def test_expression_escapes_are_refused_at_deploy_and_at_run(case: tuple[str, str]) -> None:
    _, source = case
    with pytest.raises(ScriptRefused):
        sandbox.check_expression(source)
    with pytest.raises(ScriptRefused):
        sandbox.evaluate(source, DATA)


@pytest.mark.parametrize("case", SCRIPTS, ids=_id)
def test_script_escapes_are_refused_by_the_diagram_check(
    host: FakeHost, case: tuple[str, str]
) -> None:
    _, source = case
    xml = diagram("rectify", **{"overdue = True": _xml_text(source)})
    problems, checked = definitions.check(xml, host)
    assert checked is None
    assert [p.element_id for p in problems] == ["mark_overdue"]
    assert "脚本不安全或有误" in problems[0].message


@pytest.mark.parametrize("case", EXPRESSIONS, ids=_id)
def test_expression_escapes_are_refused_by_the_diagram_check(
    host: FakeHost, case: tuple[str, str]
) -> None:
    _, source = case
    for old, element in (("approved == True", "f_ok"), (">deadline<", "late_timer")):
        new = f">{_xml_text(source)}<" if old.startswith(">") else _xml_text(source)
        problems, checked = definitions.check(diagram("rectify", **{old: new}), host)
        assert checked is None
        assert [p.element_id for p in problems] == [element]


def _xml_text(source: str) -> str:
    return source.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Attempts the checker cannot judge without the value: refused by the run-time guard.
RUN_TIME: list[tuple[str, str, str]] = [
    ("%-formatting a data string", "x = template % data", "格式化"),
    ("a str method on a dict", "x = data.strip()", "不允许调用 dict 的方法 strip"),
    ("a dict method on a str", "x = name.get('a')", "不允许调用 str 的方法 get"),
    ("a date field on a str", "x = name.strip().title().isoformat()", "isoformat"),
    ("a method of a callable", "x = [fn][0].copy()", "不允许调用"),
    ("sum concatenating lists", "x = sum([items, items], [])", "sum"),
    ("strftime padding blow-up", "x = date(2022, 1, 1).strftime('%99Y' * 30)", "strftime"),
]


@pytest.mark.parametrize("case", RUN_TIME, ids=_id)
def test_what_only_the_value_gives_away_is_refused_at_run_time(case: tuple[str, str, str]) -> None:
    _, source, message = case
    sandbox.check_script(source)
    with pytest.raises(ScriptRefused, match=message):
        sandbox.execute(source, {**DATA, "template": "%(fn)s"})


def test_conditions_cannot_change_the_task_data() -> None:
    data = {"items": [1, 2, 3], "seen": {"a": 1}}
    for expression in ("items.append(4) or True", "seen.update({'b': 2}) or True"):
        sandbox.check_expression(expression)
        with pytest.raises(ScriptRefused, match="条件表达式不能修改数据"):
            sandbox.evaluate(expression, data)
    assert data == {"items": [1, 2, 3], "seen": {"a": 1}}


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("abc", "format"),
        ("abc", "format_map"),
        ("abc", "__class__"),
        ("abc", "center"),
        (1, "bit_length"),
        (1, "to_bytes"),
        (b"abc", "decode"),
        ([1], "__reduce_ex__"),
        ({}, "fromkeys"),
        (dict, "fromkeys"),
        (str, "maketrans"),
        (dt.date, "today"),
        (os.getcwd, "__call__"),
        (type, "mro"),
        (Run, "call"),
    ],
)
def test_the_run_time_guard_refuses_methods_off_its_allowlist(value: object, name: str) -> None:
    # As if a checker bug let the call through: the guard decides on the actual value.
    with pytest.raises(ScriptRefused):
        Run(may_mutate=True).call(value, name)


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("abc", "__class__"),
        (dt.date(2022, 1, 1), "__class__"),
        (dt.date(2022, 1, 1), "max"),
        (dt.datetime(2022, 1, 1), "tzinfo"),
        (dt.timedelta(1), "max"),
        ({"year": 1}, "year"),
        (dt.date, "year"),
    ],
)
def test_the_run_time_guard_refuses_attributes_off_its_allowlist(value: object, name: str) -> None:
    with pytest.raises(ScriptRefused):
        Run(may_mutate=True).attr(value, name)


def test_a_tuple_key_nested_deep_enough_to_crash_hash_is_refused_before_hashing() -> None:
    # CPython's tuple hash recurses in C without a depth check: ~100,000 levels crash it.
    script = "t = ()\nfor i in range(50):\n    t = (t,)\nseen = {}\nseen[t] = 1"
    with pytest.raises(ScriptRefused, match="嵌套过深"):
        sandbox.execute(script, {})
    for hashing in ("x = {t}", "x = {t: 1}", "x = t in {1: 2}", "x = set([t])", "x = s.get(t)"):
        source = "t = ()\nfor i in range(50):\n    t = (t,)\n" + hashing
        with pytest.raises(ScriptRefused, match="嵌套过深"):
            sandbox.execute(source, {"s": {}})
