"""Days as people write them. The one reader of every date typed or written in a cell: the
forms (pages, the API, the command line), the ledger's and the comparison lists' imports, and
the filters and settings that take a day.

Officers write a day as 2022-06-10, 2022/6/10, 2022.6.10, 2022年6月10日 or 20220610, with
full-width digits when a Chinese input method is on, and a spreadsheet's text may carry a
time of day after it (2022-06-10 00:00:00): all of these are read. What Python's
`date.fromisoformat` reads besides (a week, 2022-W24-5, or a day of the year, 2022-161)
nobody here writes, and a typing slip should not turn into some day: they are refused."""

from __future__ import annotations

import re
from datetime import date

EXAMPLE = "2022-06-10"
NOT_A_DAY = f"须为日期，如 {EXAMPLE}"

# The year, month and day, separated (-, /, . or 年 月 日) or written together (8 digits);
# a time of day after a space is read past. \d takes full-width digits too; int() reads them.
_SEPARATED = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
)
_TOGETHER = re.compile(r"(\d{4})(\d{2})(\d{2})")


class NotADay(ValueError):
    """Why a text names no day, in words a person reads."""


def read_day(text: str) -> date:
    """The day `text` writes; NotADay otherwise (not a spelling of a day, or a day that does
    not exist, such as 2022-02-30)."""
    written = text.strip()
    found = _SEPARATED.fullmatch(written) or _TOGETHER.fullmatch(written)
    if found is None:
        raise NotADay(NOT_A_DAY)
    year, month, day = (int(part) for part in found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise NotADay(f"没有这一天：{year:04d} 年 {month} 月 {day} 日") from None


def read_day_or_none(text: str) -> date | None:
    """The day `text` writes, or None (a filter that ignores what it cannot read)."""
    try:
        return read_day(text)
    except NotADay:
        return None
