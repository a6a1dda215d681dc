"""Lists a page at a time: one way to read a page number, cut a query and count the pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.errors import MalformedRequest

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
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise MalformedRequest(PAGE_REFUSED, {"page": PAGE_REFUSED})
    return int(text)


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def window(query: Select[Any], number: int, per_page: int) -> Select[Any]:
    """The rows of page `number` (from 1) of an ordered query."""
    return query.limit(per_page).offset((max(1, number) - 1) * per_page)


def count(session: Session, query: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    number: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)


def fetch(session: Session, query: Select[Any], number: int, per_page: int) -> Page[Any]:
    """Page `number` of an ordered query, with the number of rows in all."""
    rows = list(session.scalars(window(query, number, per_page)))
    return Page(rows, count(session, query), number, per_page)
