"""Counting up to a bound (core.paging.count_up_to): whatever the number of rows, the page size
and the bound, following 下一页 from the first page lists every row once and stops after the
last; the total is exact once the count reaches the end, and a lower bound before."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Select, literal, select, union_all
from sqlalchemy.orm import Session

from core import paging


def _rows(n: int) -> Select[tuple[int]]:
    """n rows numbered 0..n-1, ordered, on any database (no table needed)."""
    if n == 0:
        return select(literal(0).label("n")).where(literal(False)).order_by("n")
    numbered = union_all(*(select(literal(i).label("n")) for i in range(n))).subquery()
    return select(numbered.c.n).order_by(numbered.c.n)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.integers(min_value=0, max_value=40),
    per_page=st.integers(min_value=1, max_value=9),
    cap=st.integers(min_value=1, max_value=25),
)
def test_following_the_next_page_lists_every_row_once(
    db_session: Session, rows: int, per_page: int, cap: int
) -> None:
    query = _rows(rows)
    before, paging.COUNT_CAP = paging.COUNT_CAP, cap
    try:
        listed: list[int] = []
        number = 1
        while True:
            page = paging.fetch(db_session, query, number, per_page, capped=True)
            listed += page.items
            if page.exact:
                assert page.total == rows
            else:
                # More rows than counted, and the count reached at least this page's end.
                assert number * per_page <= page.total < rows
            more = number < page.pages or not page.exact
            assert more == (len(listed) < rows)
            if not more:
                break
            number += 1
        assert listed == list(range(rows))
    finally:
        paging.COUNT_CAP = before


def test_a_badge_says_more_than_the_cap_and_no_more() -> None:
    assert paging.count_label(paging.COUNT_CAP) == "1,000"
    assert paging.count_label(paging.COUNT_CAP + 1) == "1,000+"
    assert paging.count_label(0) == "0"
