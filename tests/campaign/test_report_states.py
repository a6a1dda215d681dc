"""Invariants of 报送管理 over random reports: the four states partition every report, the
database's filter agrees with the state of each record, the counts add up to the list, and
the spot-check warnings say exactly what a plain model of the rule says."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from campaign import report_checks, report_overview
from campaign.current import active_campaign
from campaign.models import (
    Campaign,
    FocusItem,
    Household,
    Obligation,
    Problem,
    Programme,
    StatCategory,
    Unit,
    User,
)
from campaign.obligations import SAMPLE_PER_VILLAGE
from core import clock
from core.db import Database
from tests.reports.test_invariants import example_session

RANDOM = settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # a failure is shown as found, unshrunk
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TODAY = date(2022, 8, 1)
reports = st.lists(
    st.tuples(st.sampled_from(["open", "submitted", "returned"]), st.integers(-60, 60)),
    min_size=1,
    max_size=12,
)


@RANDOM
@given(specs=reports, today_shift=st.integers(-3, 3))
def test_the_four_states_partition_every_report(
    database: Database, specs: list[tuple[str, int]], today_shift: int
) -> None:
    today = TODAY + timedelta(days=today_shift)
    with example_session(database) as session:
        campaign = session.scalars(select(Campaign)).first()
        unit = session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
        assert campaign is not None
        made = []
        for n, (status, offset) in enumerate(specs):
            report = Obligation(
                campaign_id=campaign.id,
                deadline_code="property_test",
                period=f"P{n}",
                unit_id=unit.id,
                due_on=TODAY + timedelta(days=offset),
                status=status,
            )
            session.add(report)
            made.append(report)
        session.flush()
        ours = Obligation.deadline_code == "property_test"
        by_clause: dict[int, list[str]] = {r.id: [] for r in made}
        for state in report_overview.STATES:
            for found in session.scalars(
                select(Obligation.id).where(ours, report_overview.state_clause(state, today))
            ):
                by_clause[found].append(state)
        for report in made:
            assert by_clause[report.id] == [report_overview.state_of(report, today)]
        assert sum(len(v) for v in by_clause.values()) == len(made)


@RANDOM
@given(
    village_sizes=st.lists(st.integers(0, 8), min_size=1, max_size=5),
    checked=st.integers(0, 45),
    entries=st.lists(st.sampled_from(["spot_check", "self_inspection", "void"]), max_size=6),
    filed=st.integers(0, 6),
)
def test_the_spot_check_warnings_follow_the_rule(
    database: Database, village_sizes: list[int], checked: int, entries: list[str], filed: int
) -> None:
    with example_session(database) as session:
        campaign = session.scalars(select(Campaign)).first()
        assert campaign is not None
        township = Unit(code="PT", name="测试镇", kind="township")
        session.add(township)
        session.flush()
        for v, size in enumerate(village_sizes):
            village = Unit(code=f"PT{v}", name=f"村{v}", kind="village", parent_id=township.id)
            session.add(village)
            session.flush()
            for h in range(size):
                session.add(
                    Household(
                        campaign_id=active_campaign(session).id,
                        village_id=village.id,
                        code=f"PT{v}-{h}",
                        head_name="户",
                    )
                )
        reference = [
            session.scalars(select(model.id).order_by(model.id)).first()
            for model in (Programme, FocusItem, StatCategory)
        ]
        officer = session.scalars(select(User.id).order_by(User.id)).first()
        for n, kind in enumerate(entries):
            session.add(
                Problem(
                    campaign_id=campaign.id,
                    number=f"PT-{n}",
                    unit_id=township.id,
                    source="spot_check" if kind == "void" else kind,
                    programme_id=reference[0],
                    focus_item_id=reference[1],
                    stat_category_id=reference[2],
                    description="抽查发现",
                    discovered_on=TODAY,
                    registered_by=officer,
                    voided_at=clock.now() if kind == "void" else None,
                )
            )
        report = Obligation(
            campaign_id=campaign.id,
            deadline_code="spot_check",
            period="PT",
            unit_id=township.id,
            due_on=TODAY,
            status="submitted",
            households_checked=checked,
            problems_found=filed,
        )
        session.add(report)
        session.flush()
        least = sum(
            SAMPLE_PER_VILLAGE if size == 0 else min(SAMPLE_PER_VILLAGE, size)
            for size in village_sizes
        )
        found = entries.count("spot_check")
        notes = report_checks.warnings(session, report)
        assert any("少于" in n for n in notes) == (checked < least)
        assert any("不一致" in n for n in notes) == (filed != found)
