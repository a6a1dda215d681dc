import pytest

from engine import sandbox
from engine.errors import ScriptRefused

ESCAPES = [
    "().__class__.__base__.__subclasses__()",
    "__import__('os')",
    "getattr(data, 'x')",
    "[c for c in ().__class__.__mro__]",
    "type(1)",
    "globals()",
    "vars()",
    "compile('1', 's', 'eval')",
    "'{0.x}'.format(data)",
    "data.gi_frame",
    "data['a']._secret",
    "'__class__'",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_known_escapes_are_refused_before_running(source: str) -> None:
    with pytest.raises(ScriptRefused):
        sandbox.check_expression(source)
    with pytest.raises(ScriptRefused):
        sandbox.evaluate(source, {"data": {"a": 1}})


def test_chains_through_task_data_cannot_reach_builtins() -> None:
    data = {"name": "__import__", "nested": {"fn": "os"}}
    with pytest.raises(ScriptRefused):
        sandbox.evaluate("nested['fn'].__class__", data)
    # A string that names a dunder stays a string: nothing turns it into an attribute.
    assert sandbox.evaluate("name", data) == "__import__"


def test_data_cannot_replace_the_builtins() -> None:
    data = {"__builtins__": {"print": print}, "_hidden": 1}
    with pytest.raises(NameError):
        sandbox.evaluate("print", data)
    with pytest.raises(ScriptRefused):
        sandbox.evaluate("_hidden", data)


def test_builtins_are_a_short_list() -> None:
    with pytest.raises(NameError):
        sandbox.evaluate("print(1)", {})
    assert sandbox.evaluate("sum([1, 2, 3]) + len('abc')", {}) == 9
    assert sandbox.evaluate("date(2022, 7, 31).isoformat()", {}) == "2022-07-31"


def test_scripts_write_plain_data_back() -> None:
    data: dict[str, object] = {"amount": 150, "old": 1}
    sandbox.execute("total = amount * 2\ndeadline = date(2022, 7, 31)\nold = None", data)
    assert data == {"amount": 150, "old": None, "total": 300, "deadline": "2022-07-31"}


def test_statements_that_lead_outside_are_refused() -> None:
    for script in [
        "import os",
        "from os import system",
        "def f(): pass",
        "class A: pass",
        "global x",
        "with open('x') as f: pass",
        "try:\n  x = 1\nexcept: pass",
        "del data",
    ]:
        with pytest.raises(ScriptRefused):
            sandbox.check_script(script)
