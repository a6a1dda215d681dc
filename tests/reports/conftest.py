"""A small ledger registered through the real service (lifecycles started), with clues and
reports on record, for the statutory tables and the Excel import and export."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import problems
from campaign.current import active_campaign
from campaign.models import Clue, Household, Obligation, Problem, SpotCheckSample, User
from campaign.org import unit_by_code
from campaign.workflow_host import CampaignHost
from core import clock
from tests.ledger_helpers import approve_registrations

NOW = datetime(2022, 6, 15, 2, 0, tzinfo=UTC)  # mid-June 2022, 10:00 in Beijing


@pytest.fixture(autouse=True)
def _campaign_time() -> Iterator[None]:
    clock.freeze(NOW)
    yield
    clock.reset()


@pytest.fixture
def host() -> CampaignHost:
    return CampaignHost()


def user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


@dataclass(frozen=True)
class Entry:
    unit: str
    village: str
    programme: str
    category: str
    amount: str
    cards: int
    discovered_on: str
    description: str = "村干部截留补贴资金"


# Chosen to test the rounding: 0.50 元 is 0.00005 万元, which rounds half up to 0.0001 in
# its own cell, while two such cells total 1.00 元 = 0.0001 万元, not 0.0002.
ENTRIES = [
    Entry("QSZ", "QSZ01", "P11", "S02", "3600.00", 0, "2022-06-10"),
    Entry("QSZ", "QSZ02", "P11", "S02", "1234.56", 0, "2022-06-11"),
    Entry("QSZ", "", "P11", "S02", "0.49", 0, "2022-06-12"),
    Entry("QSZ", "QSZ03", "P02", "S03", "0.50", 0, "2022-06-01"),
    Entry("BSZ", "BSZ01", "P03", "S03", "0.50", 0, "2022-06-02"),
    Entry("BSZ", "BSZ02", "P01", "S01", "98765.43", 0, "2022-05-20"),
    Entry("BSZ", "BSZ02", "P01", "S12", "0", 3, "2022-06-03"),
    Entry("BSZ", "BSZ03", "P01", "S12", "120.00", 2, "2022-06-04"),
    Entry("LHX", "LHX01", "C01", "S06", "5000.05", 0, "2022-06-05"),
    Entry("SQZ", "SQZ02", "X02", "S14", "77.77", 0, "2022-06-06"),
    Entry("NYNC", "", "P12", "S13", "150000.00", 0, "2022-06-07"),
    Entry("QSZ", "QSZ01", "P11", "S02", "0.50", 0, "2022-05-31"),
]


def registration(entry: Entry) -> dict[str, str]:
    return {
        "source": "self_inspection",
        "village": entry.village,
        "programme": entry.programme,
        "focus_item": "3.3",
        "stat_category": entry.category,
        "description": entry.description,
        "amount": entry.amount,
        "cards": str(entry.cards),
        "households": "2",
        "persons": "0",
        "discovered_on": entry.discovered_on,
    }


def register_all(
    session: Session, host: CampaignHost, entries: list[Entry], *, reviewed: bool = True
) -> list[Problem]:
    """Registers the entries as the office; reviewed (the default): approved by their units'
    reviewers too, so that they count in the tables."""
    office = user(session, "ldxz_ban")
    made = [problems.register(session, host, office, e.unit, registration(e)) for e in entries]
    if reviewed:
        approve_registrations(session, host, made)
    return made


@pytest.fixture
def ledger(db_session: Session, host: CampaignHost) -> list[Problem]:
    return register_all(db_session, host, ENTRIES)


def wan(fen: int) -> Decimal:
    """The expected printed value, computed independently of forms.tables."""
    return (Decimal(fen) / Decimal(1000000)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def as_decimal(value: object) -> Decimal:
    """A number read back from the file (openpyxl gives float or int), to 4 decimals."""
    assert isinstance(value, (int, float)) and not isinstance(value, bool), value
    return Decimal(repr(value)).quantize(Decimal("0.0001"))


@pytest.fixture
def on_record(db_session: Session, ledger: list[Problem]) -> None:
    """Monthly reports (two submitted, one still open), a submitted spot check with one
    sampled household, and two clues with outcomes."""
    session = db_session
    campaign = active_campaign(session)
    qsz, bsz, lhx = (unit_by_code(session, c) for c in ("QSZ", "BSZ", "LHX"))
    reports = [
        (qsz, "2022-05", "submitted", (120, 40, 300, 3, 2)),
        (qsz, "2022-06", "submitted", (80, 30, 200, 5, 1)),
        (bsz, "2022-06", "submitted", (50, 20, 90, 2, 0)),
        (lhx, "2022-06", "open", (999, 999, 999, 99, 99)),
    ]
    for unit, period, status, figures in reports:
        persons, households, found, banks, illegal = figures
        session.add(
            Obligation(
                campaign_id=campaign.id,
                deadline_code="monthly_report",
                period=period,
                unit_id=unit.id,
                due_on=date(2022, int(period[5:]), 23),
                status=status,
                visited_persons=persons,
                visited_households=households,
                cards_found=found,
                banks_involved=banks,
                cards_illegal=illegal,
            )
        )
    spot = Obligation(
        campaign_id=campaign.id,
        deadline_code="spot_check",
        period="2022",
        unit_id=bsz.id,
        due_on=date(2022, 7, 31),
        status="submitted",
    )
    session.add(spot)
    session.flush()
    village = unit_by_code(session, "BSZ04")
    household = session.scalars(select(Household).where(Household.village_id == village.id)).first()
    assert household is not None
    session.add(
        SpotCheckSample(obligation_id=spot.id, village_id=village.id, household_id=household.id)
    )
    office = user(session, "ldxz_ban")
    clues = [
        (ledger[0], "XS-T-0001", NOW, (1, 2, 1, 2, 360000, 120000, 1, 50050)),
        # 01:00 on 1 June in Beijing: a June clue, though May in UTC.
        (
            ledger[5],
            "XS-T-0002",
            datetime(2022, 5, 31, 17, 0, tzinfo=UTC),
            (0, 1, 0, 0, 5, 0, 2, 1),
        ),
    ]
    for problem, number, at, outcome in clues:
        party, gov, cases, exposed, recovered, returned, voluntary, vol_fen = outcome
        session.add(
            Clue(
                problem_id=problem.id,
                number=number,
                summary="涉嫌截留补贴资金",
                from_step="审核",
                transferred_by=office.id,
                transferred_at=at,
                party_sanctioned=party,
                government_sanctioned=gov,
                exposure_cases=cases,
                exposure_persons=exposed,
                recovered_fen=recovered,
                returned_fen=returned,
                voluntary_persons=voluntary,
                voluntary_fen=vol_fen,
            )
        )
    session.flush()


def xlsx_bytes(write: object) -> io.BytesIO:
    buffer = io.BytesIO()
    assert callable(write)
    write(buffer)
    buffer.seek(0)
    return buffer
