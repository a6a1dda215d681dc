"""Days as people write them. The one reader of every date typed or written in a cell: the
forms (pages, the API, the command line), the ledger's and the comparison lists' imports, and
the filters and settings that take a day.

Officers write a day as 2022-06-10, 2022/6/10, 2022.6.10, 2022年6月10日 or 20220610, with
full-width digits when a Chinese input method is on, and a spreadsheet's text may carry a
time of day after it (2022-06-10 00:00:00): all of these are read, and only these. What Python's
`date.fromisoformat` reads besides (a week, 2022-W24-5, or a day of the year, 2022-161)
nobody here writes, and a typing slip should not turn into some day: they are refused."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

EXAMPLE = "2022-06-10"
NOT_A_DAY = f"须为日期，如 {EXAMPLE}"

# The year, month and day, separated (-, /, . or 年 月 日) or written together (8 digits),
# then perhaps a time of day after a space (spaces and tabs only: a line is one value). No
# two quantifiers of the pattern can take the same character, so a text that fails is
# refused in time linear in its length (a pattern with a space-taking quantifier on each
# side of an optional 日 took 14 s on a date and 20,000 spaces); and no date is longer
# than LONGEST.
_SEPARATED = re.compile(
    r"([0-9]{4})[ \t]*[-/.年][ \t]*([0-9]{1,2})[ \t]*[-/.月][ \t]*([0-9]{1,2})(?:[ \t]*日)?"
    r"(?:[ \t]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
)
_TOGETHER = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
LONGEST = 40


class NotADay(ValueError):
    """Why a text names no day, in words a person reads."""


def read_day(text: str) -> date:
    """The day `text` writes; NotADay otherwise (not a spelling of a day, or a day or a time
    of day that does not exist, such as 2022-02-30 or 25:00). Full-width digits and marks
    (２０２２／６／１０) are read as their ASCII forms; digits of other scripts are not digits
    here."""
    written = text.strip()
    found = None
    if len(written) <= LONGEST:
        written = unicodedata.normalize("NFKC", written)
        found = _SEPARATED.fullmatch(written) or _TOGETHER.fullmatch(written)
    if found is None:
        raise NotADay(NOT_A_DAY)
    parts = [int(part) if part else 0 for part in found.groups()]
    year, month, day, hour, minute, second = [*parts, 0, 0, 0][:6]
    if hour > 23 or minute > 59 or second > 59:
        raise NotADay(f"没有这一时刻：{hour}:{minute:02d}:{second:02d}")
    try:
        return date(year, month, day)
    except ValueError:
        raise NotADay(f"没有这一天：{year} 年 {month} 月 {day} 日") from None


# A month: the year and month, separated (-, /, . or 年, and perhaps 月 after), as a month
# of the comparison or a report is written: 2022-06, 2022-6, 2022/6, 2022年6月.
_MONTH = re.compile(r"([0-9]{4})[ \t]*[-/.年][ \t]*([0-9]{1,2})(?:[ \t]*月)?")


def read_month(text: str) -> str | None:
    """The month `text` writes, as "YYYY-MM"; None if it writes none (or month 0 or 13).
    Full-width digits and marks are read as their ASCII forms, as for a day."""
    written = text.strip()
    if len(written) > LONGEST:
        return None
    found = _MONTH.fullmatch(unicodedata.normalize("NFKC", written))
    if found is None or not 1 <= int(found.group(2)) <= 12:
        return None
    return f"{found.group(1)}-{int(found.group(2)):02d}"


def read_day_or_none(text: str) -> date | None:
    """The day `text` writes, or None (a filter that ignores what it cannot read)."""
    try:
        return read_day(text)
    except NotADay:
        return None
