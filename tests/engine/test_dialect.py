"""Camunda's expressions read into Python: what is translated, and what is refused by name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import dialect, sandbox


@pytest.mark.parametrize(
    ("text", "kind", "python"),
    [
        ("PT1H", "timeDuration", "'PT1H'"),
        (" P3D ", "timeDuration", "'P3D'"),
        ("R3/PT1H", "timeCycle", "'R3/PT1H'"),
        ("R/PT10M", "timeCycle", "'R/PT10M'"),
        ("R2/2025-06-02T09:00:00+08:00/P1D", "timeCycle", "'R2/2025-06-02T09:00:00+08:00/P1D'"),
        ("2025-06-03T09:00:00+08:00", "timeDate", "'2025-06-03T09:00:00+08:00'"),
        ("2025-06-03", "timeDate", "'2025-06-03'"),
        ("${deadline}", "timeDate", "deadline"),
        ("PT${hours}H", "timeDuration", "'PT' + str(hours) + 'H'"),
        ('"PT1H"', "timeDuration", '"PT1H"'),
        ('due_on + "T18:00:00+08:00"', "timeDate", 'due_on + "T18:00:00+08:00"'),
    ],
)
def test_timers_in_camunda_and_python_form(text: str, kind: str, python: str) -> None:
    assert dialect.timer(text, kind) == python
    sandbox.check_expression(python)


@pytest.mark.parametrize(
    ("juel", "python"),
    [
        ("${approved}", "approved"),
        ("${!approved}", "not approved"),
        ("${a != b && c == 'x'}", "a != b and c == 'x'"),
        ('${amount gt 100 or kind eq "loan"}', 'amount > 100 or kind == "loan"'),
        ("${applicant.age >= 18}", "applicant['age'] >= 18"),
        ("${done == true}", "done == True"),
        ("${nrOfCompletedInstances >= 2}", "nrOfCompletedInstances >= 2"),
    ],
)
def test_simple_juel_becomes_python(juel: str, python: str) -> None:
    assert dialect.expression(juel) == python
    sandbox.check_expression(python)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("${execution.getVariable('x')}", "方法调用"),
        ("${x ? 1 : 2}", "无法转换为 Python"),
        ("${}", "为空"),
        ("a ${b}", "混有 JUEL"),
    ],
)
def test_other_juel_is_refused_by_name(text: str, reason: str) -> None:
    with pytest.raises(dialect.Unsupported, match=reason):
        dialect.expression(text)


def test_languages_other_than_python_are_named() -> None:
    dialect.require_python(None, "脚本")
    dialect.require_python("Python", "脚本")
    for language, named in (
        ("groovy", "groovy"),
        ("JavaScript", "javascript"),
        ("js", "javascript"),
    ):
        with pytest.raises(dialect.Unsupported, match=f"脚本语言 {named} 不受支持"):
            dialect.require_python(language, "脚本")


def test_cron_cycles_are_refused_with_the_iso_form() -> None:
    with pytest.raises(dialect.Unsupported, match="cron"):
        dialect.timer("0 0 9 * * ?", "timeCycle")


@given(st.text(max_size=60))
def test_any_text_is_translated_or_refused_never_crashes(text: str) -> None:
    for translate in (
        dialect.expression,
        lambda t: dialect.timer(t, "timeDuration"),
        lambda t: dialect.timer(t, "timeCycle"),
        lambda t: dialect.data_name(t, "集合"),
    ):
        try:
            translate(text)
        except dialect.Unsupported as refused:
            assert str(refused)
