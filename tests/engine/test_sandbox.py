import re
from pathlib import Path

import pytest

from engine import sandbox
from engine.errors import ScriptRefused
from engine.sandbox_allowlist import BUILTINS
from engine.sandbox_runtime import Run

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = [*ROOT.glob("workflows/*.bpmn"), *ROOT.glob("tests/engine/diagrams/*.bpmn")]


def test_data_cannot_replace_the_builtins_or_reach_hidden_keys() -> None:
    data = {"__builtins__": {"print": print}, "_hidden": 1, "__sb__": 2}
    with pytest.raises(ScriptRefused, match="print"):
        sandbox.evaluate("print", data)
    with pytest.raises(ScriptRefused, match="下划线"):
        sandbox.evaluate("_hidden", data)
    sandbox.execute("x = 1", data)
    assert data == {"__builtins__": {"print": print}, "_hidden": 1, "__sb__": 2, "x": 1}


def test_a_data_value_cannot_shadow_a_builtin() -> None:
    assert sandbox.evaluate("len(items)", {"items": [1, 2], "len": print}) == 2


def test_a_string_that_names_a_dunder_stays_a_string() -> None:
    data = {"name": "__import__", "nested": {"fn": "os"}}
    with pytest.raises(ScriptRefused):
        sandbox.evaluate("nested['fn'].__class__", data)
    assert sandbox.evaluate("name", data) == "__import__"


def test_every_builtin_on_the_allowlist_has_its_guarded_wrapper() -> None:
    assert {name[2:] for name in dir(Run) if name.startswith("b_")} == set(BUILTINS)


def test_every_script_and_condition_of_the_shipped_diagrams_passes() -> None:
    pattern = re.compile(
        r"<bpmn:(script|conditionExpression|timeDate|timeDuration|timeCycle"
        r"|loopCardinality|completionCondition|condition)\b[^>]*>(.*?)</bpmn:\1>",
        re.S,
    )
    found = 0
    for path in DIAGRAMS:
        for kind, text in pattern.findall(path.read_text(encoding="utf-8")):
            check = sandbox.check_script if kind == "script" else sandbox.check_expression
            check(text.strip())
            found += 1
    assert found >= 20


def test_ordinary_scripts_run() -> None:
    data: dict[str, object] = {
        "amount": 150,
        "old": 1,
        "deadline": "2022-07-31",
        "rows": [{"unit": "甲村", "fen": 1200}, {"unit": "乙村", "fen": 800}],
        "name": "  张三 ",
        "tags": ["一卡通", "低保"],
    }
    script = """
total = amount * 2
due = date.fromisoformat(deadline) + timedelta(days=15)
late = date(2022, 8, 20) > due
weekday = due.isoweekday()
fen = sum([row['fen'] for row in rows])
units = sorted({row['unit'] for row in rows}, reverse=True)
biggest = max([row['fen'] for row in rows])
by_unit = {row['unit']: row['fen'] for row in rows}
by_unit['丙村'] = by_unit.get('丙村', 0) + 1
label = name.strip() + '（' + '、'.join(tags) + '）'
summary = f"{label}：{fen / 100:.2f} 元，{due:%Y年%m月%d日}前"
month = due.strftime('%Y年%m月')
count = 0
for row in rows:
    if row['fen'] > 1000 and not late:
        count += 1
    else:
        continue
first, second = rows[0]['unit'], rows[-1]['unit']
half = rows[:1]
is_number = isinstance(amount, (int, float))
old = None
"""
    sandbox.execute(script, data)
    assert data["total"] == 300 and data["due"] == "2022-08-15" and data["late"] is True
    assert data["fen"] == 2000 and data["units"] == ["甲村", "乙村"]
    assert data["by_unit"] == {"甲村": 1200, "乙村": 800, "丙村": 1}
    assert data["summary"] == "张三（一卡通、低保）：20.00 元，2022年08月15日前"
    assert data["count"] == 0 and data["first"] == "甲村" and data["half"] == [data["rows"][0]]  # type: ignore[index]
    assert data["month"] == "2022年08月"
    assert data["old"] is None and data["is_number"] is True and data["weekday"] == 1


def test_conditions_and_timers_read_the_data() -> None:
    data = {"decision": "approve", "due_on": "2022-07-31", "again": True, "n": 3}
    assert sandbox.evaluate('decision == "approve"', data) is True
    assert sandbox.evaluate('due_on + "T23:59:59+08:00"', data) == "2022-07-31T23:59:59+08:00"
    assert sandbox.evaluate("again == True and n in [1, 2, 3]", data) is True
    assert sandbox.evaluate("n ** 2 if n < 5 else 0", data) == 9


def test_scripts_write_plain_data_back() -> None:
    data: dict[str, object] = {"amount": 150, "old": 1}
    sandbox.execute("total = amount * 2\ndeadline = date(2022, 7, 31)\nold = None", data)
    assert data == {"amount": 150, "old": None, "total": 300, "deadline": "2022-07-31"}


def test_values_that_are_not_plain_data_are_not_written_back() -> None:
    for script, message in [
        ("x = zip([1], [2])", "不是可保存的数据类型"),
        ("x = {1, 2}", "不是可保存的数据类型"),
        ("x = [date(2022, 1, 1)]", "不是可保存的数据类型"),
        ("x = {(1, 2): 3}", "字典键"),
        ("x = []\nx.append(x)", "嵌套过深"),
        ("x = 2 ** 9000\nx = x * x // 3", "整数过大"),
    ]:
        data: dict[str, object] = {}
        with pytest.raises(ScriptRefused, match=message):
            sandbox.execute(script, data)
        assert data == {}


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


def test_a_refusal_names_each_problem_and_its_line() -> None:
    with pytest.raises(ScriptRefused) as refused:
        sandbox.check_script("x = 1\ny = open('/etc/passwd').read()\nz = items.__class__")
    message = str(refused.value)
    assert "第 2 行：不允许使用 open" in message
    assert "第 2 行：不允许调用方法：read" in message
    assert "第 3 行：不允许访问以下划线开头的属性：__class__" in message


def test_syntax_errors_and_oversized_scripts_are_refused() -> None:
    with pytest.raises(ScriptRefused, match="语法错误"):
        sandbox.check_script("x = (")
    with pytest.raises(ScriptRefused, match="脚本过长"):
        sandbox.check_script("x = 1\n" * 5000)
    with pytest.raises(ScriptRefused, match="嵌套过深"):
        sandbox.check_expression("1" + " + 1" * 4000)
    with pytest.raises(ScriptRefused, match="第 1 行"):
        sandbox.check_script("x = 1\x00")
    with pytest.raises(ScriptRefused, match="无法识别的字符"):
        sandbox.check_script("x = '\ud800'")
