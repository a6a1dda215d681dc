"""Scripts that would run forever or eat the memory of the process: they deploy (no checker
can tell them all apart from honest loops), and are stopped promptly at run time with a
message that names the limit; the case they ran in fails, the process goes on."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.orm import Session

from core.db import Database
from engine import cases, definitions, runner, sandbox
from engine.errors import CaseFailed, ScriptLimitExceeded
from engine.models import Case, CaseStatus, WorkItem
from engine.sandbox_limits import TIME_LIMIT
from tests.engine.conftest import OFFICER, REVIEWER, diagram, start_rectify
from tests.engine.host import FakeHost
from tests.engine.test_cases import DEADLINE, only_item

PROMPT = TIME_LIMIT + 1.5  # seconds: the limit, plus room for a slow CI machine

# (technique, script, the limit its message names)
BOMBS: list[tuple[str, str, str]] = [
    ("endless while", "while True:\n    pass", "超时"),
    ("endless while with a body", "n = 0\nwhile n >= 0:\n    n += 1", "超时"),
    ("huge power", "x = 9 ** 9 ** 9", "整数过大"),
    ("huge power of a data value", "x = amount ** 10 ** 8", "整数过大"),
    ("huge shift", "x = 1 << 10 ** 9", "整数过大"),
    ("huge product of integers", "x = 2 ** 9000\nx = x * x", "整数过大"),
    ("huge string repeat", "x = 'a' * 10 ** 10", "过大"),
    ("huge list repeat", "x = [0] * 10 ** 9", "过大"),
    ("repeat on the left", "x = 10 ** 9 * [0]", "过大"),
    ("huge range list", "x = list(range(10 ** 9))", "过大"),
    ("huge range summed in C", "x = sum(range(10 ** 12))", "过大"),
    ("huge range in a loop", "for i in range(10 ** 12):\n    pass", "过大"),
    ("nested comprehensions", "x = [[0 for a in range(99999)] for b in range(99999)]", "超时"),
    ("comprehension of repeats", "x = [[0] * 99999 for b in range(99999)]", "内存"),
    ("doubling a string", "s = 'ab'\nwhile True:\n    s = s + s", "过大"),
    ("doubling in place", "s = ['ab']\nwhile True:\n    s += s", "过大"),
    ("doubling by extend", "s = ['ab']\nwhile True:\n    s.extend(s)", "过大"),
    ("replace blow-up", "x = 'ab' * 40000\ny = x.replace('a', x)", "过大"),
    ("join blow-up", "x = ['a' * 90000] * 90000\ny = ''.join(x)", "过大"),
    ("str() blow-up", "x = ['a' * 90000] * 90000\ny = str(x)", "过大"),
    ("f-string blow-up", "x = ['a' * 90000] * 90000\ny = f'{x}'", "过大"),
    (
        "keeping many copies",
        "x = 'a' * 90000\nkeep = []\nwhile True:\n    keep.append(x + 'b')",
        "内存",
    ),
    (
        "keeping many slices",
        "x = [0] * 90000\nkeep = []\nwhile True:\n    keep.append(x[1:])",
        "内存",
    ),
    ("round to a huge negative precision", "x = round(5, -10 ** 7)", "round"),
    ("deep nesting by lists", "x = []\nwhile True:\n    x = [x]", "超时"),
    # 1,500 levels: beyond the interpreter's recursion limit, yet built well inside the time
    # limit on a loaded machine (5,000 took longer than the limit there and was stopped as 超时).
    ("deep nesting printed", "x = []\nfor i in range(1500):\n    x = [x]\ny = str(x)", "嵌套过深"),
    (
        "deep nesting compared",
        "x = []\nfor i in range(1500):\n    x = [x]\ny = x == [x]",
        "嵌套过深",
    ),
    ("deep tuple hashed", "t = ()\nfor i in range(1500):\n    t = (t,)\ny = {t: 1}", "嵌套过深"),
    ("deep nesting kept as data", "x = []\nfor i in range(50):\n    x = [x]", "嵌套过深"),
    ("straight-line repeated work", "x = [1] * 90000\ny = [" + "x == x[:], " * 600 + "]", "内存"),
]


@pytest.mark.parametrize("bomb", BOMBS, ids=lambda b: b[0])
def test_bombs_are_stopped_promptly_with_the_limit_named(bomb: tuple[str, str, str]) -> None:
    _, script, limit = bomb
    sandbox.check_script(script)  # deployable: the limits hold at run time
    data: dict[str, object] = {"amount": 7}
    started = time.perf_counter()
    with pytest.raises(ScriptLimitExceeded, match=limit):
        sandbox.execute(script, data)
    assert time.perf_counter() - started < PROMPT
    assert data == {"amount": 7}


@pytest.mark.parametrize(
    "expression",
    [
        "len([0 for a in range(99999) for b in range(99999)]) > 0",
        "9 ** 9 ** 9 > 0",
        "len('a' * 10 ** 10) > 0",
        "any([x == x for x in range(99999) for y in range(99999)])",
    ],
)
def test_conditions_have_the_same_limits(expression: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ScriptLimitExceeded):
        sandbox.evaluate(expression, {})
    assert time.perf_counter() - started < PROMPT


def test_honest_loops_within_the_limits_run() -> None:
    data: dict[str, object] = {"rows": [{"fen": n} for n in range(2000)]}
    script = (
        "total = 0\nlines = []\nfor row in rows:\n    total += row['fen']\n"
        "    lines.append(str(row['fen']))\ntext = ','.join(lines)\n"
        "squares = [n * n for n in range(10000)]\nsmall = len(squares)"
    )
    sandbox.execute(script, data)
    assert data["total"] == sum(range(2000)) and data["small"] == 10000
    assert len(str(data["text"])) == len(",".join(str(n) for n in range(2000)))


def _deploy_rectify(session: Session, host: FakeHost, **replacements: str) -> None:
    definitions.deploy(session, diagram("rectify", **replacements), host, deployed_by="test")


def _review_of_a_new_case(session: Session, host: FakeHost) -> tuple[Case, WorkItem]:
    case = start_rectify(session, host, deadline=DEADLINE)
    for actor, data in ((OFFICER, {}), (OFFICER, {"measures": "m"})):
        cases.complete_task(session, host, only_item(session, case).id, data, actor)
    return case, only_item(session, case)


@pytest.mark.parametrize(
    ("replacements", "limit"),
    [
        ({"closed = True": "while True:\n    pass"}, "脚本运行超时（超过 200 毫秒）"),
        ({"closed = True": "closed = 9 ** 9 ** 9"}, "整数过大"),
        ({"closed = True": "closed = 'a' * 10 ** 10"}, "计算结果过大"),
        ({"approved == True": "[0 for a in range(99999) for b in range(99999)] == []"}, "超时"),
    ],
    ids=["endless script", "power", "repeat", "endless condition"],
)
def test_a_runaway_step_fails_its_case_promptly_and_the_engine_goes_on(
    db_session: Session,
    bound_database: Database,
    host: FakeHost,
    replacements: dict[str, str],
    limit: str,
) -> None:
    _deploy_rectify(db_session, host, **replacements)
    case, review = _review_of_a_new_case(db_session, host)
    db_session.commit()
    started = time.perf_counter()
    with pytest.raises(CaseFailed, match="脚本被安全规则拒绝") as failed:
        runner.in_transaction(
            bound_database, host, cases.complete_task, review.id, {"approved": True}, REVIEWER
        )
    assert time.perf_counter() - started < PROMPT
    assert limit in failed.value.message and failed.value.case_id == case.id
    db_session.refresh(case)  # the runner marked it in error, in a transaction of its own
    assert case.status == CaseStatus.ERROR.value and limit in (case.error_message or "")
    # The process is fine: the same thread takes a case of the honest diagram to its end.
    _deploy_rectify(db_session, host)
    honest, honest_review = _review_of_a_new_case(db_session, host)
    cases.complete_task(db_session, host, honest_review.id, {"approved": True}, REVIEWER)
    db_session.refresh(honest)
    assert honest.status == CaseStatus.COMPLETED.value
