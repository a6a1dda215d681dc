"""Ledger numbers: the year of registration, the unit, and a gap-free place in that year's
series of the unit; the campaign's first year does not matter (a problem registered in 2026
in the 2022 campaign is 2026-…). Clue numbers follow the year of transfer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import problems
from campaign.models import User
from campaign.workflow_host import CampaignHost
from core import clock
from core.errors import AppError
from tests.campaign.conftest import registration


@pytest.fixture
def officer(db_session: Session) -> User:
    return db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()


@pytest.fixture
def in_2026() -> Iterator[None]:
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    yield
    clock.reset()


def _register(session: Session, officer: User, unit: str = "QSZ", **data: str) -> str:
    values = registration(**data)
    if unit != "QSZ":
        values.pop("village", None)
    return problems.register(session, CampaignHost(), officer, unit, values).number


@pytest.mark.usefixtures("in_2026")
def test_a_problem_registered_in_2026_is_numbered_2026(db_session: Session, officer: User) -> None:
    numbers = [_register(db_session, officer, discovered_on="2026-02-20") for _ in range(3)]
    assert numbers == ["2026-QSZ-0001", "2026-QSZ-0002", "2026-QSZ-0003"]


def test_the_year_is_the_local_one(db_session: Session, officer: User) -> None:
    """31 December 17:00 UTC is already 1 January in the district (UTC+8)."""
    clock.freeze(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    try:
        assert _register(db_session, officer, discovered_on="2026-12-30").startswith("2027-QSZ-")
    finally:
        clock.reset()


@pytest.mark.usefixtures("in_2026")
def test_a_refused_registration_takes_no_number(db_session: Session, officer: User) -> None:
    first = _register(db_session, officer, discovered_on="2026-02-20")
    with pytest.raises(AppError), db_session.begin_nested():
        _register(db_session, officer, amount="-5")
    assert _register(db_session, officer, discovered_on="2026-02-20") == first[:-4] + "0002"


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(years=st.lists(st.sampled_from([2026, 2027]), min_size=1, max_size=6))
def test_each_years_series_is_gap_free_whatever_the_order(
    db_session: Session, officer: User, years: list[int]
) -> None:
    with db_session.begin_nested() as attempt:
        made: dict[int, list[int]] = {}
        for year in years:
            clock.freeze(datetime(year, 6, 1, 2, 0, tzinfo=UTC))
            number = _register(db_session, officer, discovered_on=f"{year}-05-01")
            prefix, unit, sequence = number.split("-")
            assert (int(prefix), unit) == (year, "QSZ")
            made.setdefault(year, []).append(int(sequence))
        clock.reset()
        for sequences in made.values():
            assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
            assert sequences[0] == 1
        attempt.rollback()
