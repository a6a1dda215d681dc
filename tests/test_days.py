"""Days as officers write them (core.days): one reader for forms, imports, filters and the
command line. Each spelling is read to the same day; what is not a day, or names a day that
does not exist, is refused in words."""

from __future__ import annotations

import time
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.comparison.sheets import CellError
from campaign.comparison.sheets import day as sheet_day
from core.days import NOT_A_DAY, NotADay, read_day, read_day_or_none, read_month
from forms import registry
from forms.fields import EARLIEST_DAY, LATEST_DAY, Field, FieldError, parse_value

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def spellings(day: date) -> list[str]:
    y, m, d = day.year, day.month, day.day
    return [
        day.isoformat(),
        f"{y}/{m}/{d}",
        f"{y}.{m}.{d}",
        f"{y}年{m}月{d}日",
        f"{y}年{m:02d}月{d:02d}日",
        f"{y} 年 {m} 月 {d} 日",
        f"{y}年{m}月{d}",
        f"{y:04d}{m:02d}{d:02d}",
        f"{y}-{m:02d}-{d:02d} 00:00:00",
        f"{y}/{m}/{d} 9:30",
        f"  {day.isoformat()}\t",
        day.isoformat().translate(FULL_WIDTH),
        f"{y}／{m}／{d}".translate(FULL_WIDTH),
        f"{y}．{m}．{d}　１０：３０".translate(FULL_WIDTH),
        f"{y}年{m}月{d}日".translate(FULL_WIDTH),
    ]


@given(st.dates(min_value=EARLIEST_DAY, max_value=LATEST_DAY))
def test_every_spelling_of_a_day_reads_as_that_day(day: date) -> None:
    for written in spellings(day):
        assert read_day(written) == day, written
        assert read_day_or_none(written) == day


@pytest.mark.parametrize(
    "written",
    [
        "",
        "   ",
        "2022",
        "2022-06",
        "2022-W24-5",  # a week: date.fromisoformat reads it as some day
        "2022W245",
        "2022-161",  # a day of the year
        "2022161",
        "220610",
        "6/10/2022",
        "10.6.2022",
        "2022-06-10T00:00:00",
        "2022-06-10 下午",
        "2022-06-10abc",
        "２０２２–０６–１０",  # an en dash, not a hyphen
        "2022²-06-10",
        "2022-06-10\n2022-06-11",
        "９" * 5000,
        "٢٠٢٢-٠٦-١٠",  # Arabic-Indic digits: not digits here
        "२०२२-०६-१०",
        "2022-06-10 12",
        "2022-06-10" + " " * 20000 + "x",
        " " * 20000 + "2022-06-10" + " " * 20000 + "1",
        "2022-06-10\n12:00",
    ],
)
def test_what_is_not_a_day_is_refused_in_words(written: str) -> None:
    with pytest.raises(NotADay) as refused:
        read_day(written)
    assert str(refused.value) == NOT_A_DAY
    assert read_day_or_none(written) is None


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("2022-02-30", "没有这一天：2022 年 2 月 30 日"),
        ("2023/2/29", "没有这一天：2023 年 2 月 29 日"),
        ("2022年13月1日", "没有这一天：2022 年 13 月 1 日"),
        ("20220631", "没有这一天：2022 年 6 月 31 日"),
        ("0000-01-01", "没有这一天：0 年 1 月 1 日"),
        ("2022-06-10 25:00", "没有这一时刻：25:00:00"),
        ("2022/6/10 9:60", "没有这一时刻：9:60:00"),
        ("2022-06-10 12:00:60", "没有这一时刻：12:00:60"),
        ("2022.0.10", "没有这一天：2022 年 0 月 10 日"),
    ],
)
def test_a_day_that_does_not_exist_is_named(written: str, reason: str) -> None:
    with pytest.raises(NotADay) as refused:
        read_day(written)
    assert str(refused.value) == reason


def test_a_long_text_is_refused_in_linear_time() -> None:
    """The pattern once took 14 s to refuse a date followed by 20,000 spaces and a letter."""
    began = time.perf_counter()
    for spaces in (10_000, 100_000, 1_000_000):
        for tail in ("x", "1", "日"):
            with pytest.raises(NotADay):
                read_day("2022-06-10" + " " * spaces + tail)
            with pytest.raises(NotADay):
                read_day("2022" + " " * spaces + "-06-10")
    assert time.perf_counter() - began < 1.0


def test_leap_days_are_read() -> None:
    assert read_day("2024/2/29") == date(2024, 2, 29)
    assert read_day("20000229") == date(2000, 2, 29)


def discovered_on() -> Field:
    form = registry.get("register_problem")
    assert form is not None
    return next(f for f in form.fields if f.name == "discovered_on")


def test_a_form_reads_every_spelling_and_keeps_the_iso_day() -> None:
    for written in ("2022年6月10日", "2022/6/10", "２０２２０６１０", "2022-06-10"):
        assert parse_value(discovered_on(), written, [], date(2022, 7, 1)) == "2022-06-10"


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("2022-W24-5", NOT_A_DAY),
        ("2022-02-30", "没有这一天：2022 年 2 月 30 日"),
        ("2099年1月1日", "不能晚于今天"),
        ("1899/12/31", "须在 1900-01-01 至 2100-12-31 之间"),
        (20220610, NOT_A_DAY),
    ],
)
def test_a_form_refuses_what_names_no_day_it_takes(written: object, reason: str) -> None:
    with pytest.raises(FieldError) as refused:
        parse_value(discovered_on(), written, [], date(2022, 7, 1))
    assert str(refused.value) == reason


@pytest.mark.parametrize("cell", [float("inf"), float("-inf"), float("nan"), 1e999])
def test_a_comparison_cell_of_no_finite_number_is_no_day(cell: float) -> None:
    """A roll's 发放日期 cell holding 1e999 (inf) or nan was turned into a serial day by int()
    and raised OverflowError or ValueError: a traceback on the command line."""
    with pytest.raises(CellError) as refused:
        sheet_day(cell)
    assert str(refused.value) == NOT_A_DAY
    assert sheet_day(44722) == date(2022, 6, 10)  # an Excel serial day is still one
    assert sheet_day("2022/6/10") == date(2022, 6, 10)


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2022-06", "2022-06"),
        ("2022-6", "2022-06"),
        ("2022/6", "2022-06"),
        ("2022.12", "2022-12"),
        ("2022年6月", "2022-06"),
        (" 2022年 06 ", "2022-06"),
        ("２０２２／６", "2022-06"),
        ("2022-13", None),
        ("2022-0", None),
        ("202206", None),
        ("2022-06-10", None),
        ("", None),
    ],
)
def test_a_month_is_read_as_officers_write_it(text: str, month: str | None) -> None:
    assert read_month(text) == month
