"""Lists a page at a time: one way to read a page number, cut a query and count the pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from core.errors import MalformedRequest
from core.numbers import whole

T = TypeVar("T")
# No list of ours has more pages; a larger number would only make the database skip rows
# (or overflow its offset) before answering with nothing.
MAX_PAGE = 100_000
PAGE_REFUSED = f"页码须为 1 至 {MAX_PAGE} 之间的整数"
# A client may ask for pages of its own size, up to this many rows.
MAX_PER_PAGE = 100
PER_PAGE_REFUSED = f"每页条数须为 1 至 {MAX_PER_PAGE} 之间的整数"


def page_number(text: str | None) -> int:
    """A requested page number (?page=); absent means the first page."""
    if text is None or text == "":
        return 1
    # ASCII digits only, and never so many that int() refuses them (core.numbers).
    number = whole(text) if text.isascii() else None
    if number is None or not 1 <= number <= MAX_PAGE:
        raise MalformedRequest(PAGE_REFUSED, {"page": PAGE_REFUSED})
    return number


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def window(query: Select[Any], number: int, per_page: int) -> Select[Any]:
    """The rows of page `number` (from 1) of an ordered query."""
    return query.limit(per_page).offset((max(1, number) - 1) * per_page)


def count(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


# A broad list (the ledger of a province: a million entries) is counted up to this many rows
# and then said to have "more than" them: counting every row is a scan of the whole table on
# every page, for a figure nobody reads exactly.
COUNT_CAP = 1_000


@dataclass(frozen=True)
class Counted:
    """How many rows a list has: exactly, or at least `total` when counting stopped there."""

    total: int
    exact: bool = True


def count_up_to(session: Session, query: Select[Any], bound: int) -> Counted:
    """The rows of `query` counted up to `bound`; beyond it, a lower bound (`exact` false)."""
    rows = query.order_by(None).limit(bound + 1).subquery()
    found = session.scalar(select(func.count()).select_from(rows)) or 0
    return Counted(bound, exact=False) if found > bound else Counted(found)


def badge_count(session: Session, query: Select[Any]) -> int:
    """A count for a badge: exact up to COUNT_CAP, COUNT_CAP + 1 for any more (shown as
    "1,000+" by `count_label`)."""
    counted = count_up_to(session, query, COUNT_CAP)
    return counted.total if counted.exact else counted.total + 1


def count_label(total: int) -> str:
    """A badge's count as shown: the number, or "1,000+" beyond COUNT_CAP."""
    return f"{COUNT_CAP:,}+" if total > COUNT_CAP else f"{total:,}"


def bound_for(number: int, per_page: int) -> int:
    """How far to count for page `number`: the cap, or further when the page lies beyond it,
    so the page asked for is always within the count and a next page shows while rows remain."""
    return max(COUNT_CAP, max(1, number) * per_page)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    # Every row of the list, or at least this many when `exact` is false (capped count).
    total: int
    number: int
    per_page: int
    exact: bool = True

    @property
    def pages(self) -> int:
        """The number of pages (a lower bound when the count was capped)."""
        return page_count(self.total, self.per_page)


def of_list(items: Sequence[T], number: int, per_page: int) -> Page[T]:
    """Page `number` of a list already made in full (figures computed for every township)."""
    start = (max(1, number) - 1) * per_page
    return Page(list(items[start : start + per_page]), len(items), number, per_page)


def fetch(
    session: Session,
    query: Select[Any],
    number: int,
    per_page: int,
    capped: bool = False,
    load: Sequence[ORMOption] = (),
) -> Page[Any]:
    """Page `number` of an ordered query, with the number of rows in all; with `capped`, that
    number is counted only up to `bound_for` the page (see `count_up_to`). `load`: loader
    options for the page's rows only (the count does not read what they load)."""
    rows = list(session.scalars(window(query, number, per_page).options(*load)))
    if not capped:
        return Page(rows, count(session, query), number, per_page)
    counted = count_up_to(session, query, bound_for(number, per_page))
    return Page(rows, counted.total, number, per_page, counted.exact)


# Rows a list made in full gives (the command line's lists); pages give the rest.
LISTED_IN_FULL = 500


def first_rows(session: Session, query: Select[Any]) -> tuple[list[Any], bool]:
    """The first LISTED_IN_FULL rows of an ordered query, and whether there are more (read
    as one row beyond them), so that a list cut short can say so."""
    rows = list(session.scalars(query.limit(LISTED_IN_FULL + 1)))
    return rows[:LISTED_IN_FULL], len(rows) > LISTED_IN_FULL
