"""Invariants of the household results over random samples and outcomes: the report's
figures are exactly the households visited and those with a problem, every problem found is
one ledger entry of the household's village with source 重点抽查, no household gets a second
result, and the households still to do are the rest of the sample."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from campaign import obligations, spot_checks
from campaign.models import Campaign, Obligation, Problem, SpotCheckSample, Unit, User
from campaign.workflow_host import CampaignHost
from core.db import Database
from core.errors import Conflict
from tests.campaign.test_report_states import RANDOM
from tests.reports.test_invariants import example_session

OUTCOMES = {
    "fine": {"visited": "yes", "card_holder": "household", "amounts_as_listed": "yes"},
    "away": {"visited": "no", "note": "外出务工"},
    "problem": {
        "visited": "yes",
        "card_holder": "household",
        "amounts_as_listed": "no",
        "problem_found": "yes",
        "programme": "P11",
        "focus_item": "1.2",
        "stat_category": "S08",
        "description": "未足额发放",
        "amount": "150.00",
    },
}


@RANDOM
@given(
    seed=st.integers(0, 2**31 - 1),
    outcomes=st.lists(st.sampled_from(sorted(OUTCOMES)), max_size=12),
)
def test_the_figures_are_the_results(database: Database, seed: int, outcomes: list[str]) -> None:
    # Mid-June 2022 (the package's clock): the visits' dates are in the past.
    host = CampaignHost()
    with example_session(database) as session:
        campaign = session.scalars(select(Campaign)).first()
        township = session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
        officer = session.scalars(select(User).where(User.username == "qsz_jbr")).one()
        assert campaign is not None
        report = Obligation(
            campaign_id=campaign.id,
            deadline_code="spot_check",
            period="PT",
            unit_id=township.id,
            due_on=date(2022, 7, 31),
        )
        session.add(report)
        session.flush()
        samples = obligations.draw_sample(session, report, seed)
        done = list(zip(samples, outcomes, strict=False))
        for sample, outcome in done:
            data = {"visited_on": "2022-06-14", "problem_found": "no", **OUTCOMES[outcome]}
            result = spot_checks.record_result(session, host, officer, report.id, sample.id, data)
            assert (result.problem is not None) == (outcome == "problem")
            if result.problem is not None:
                assert result.problem.village_id == sample.village_id
                assert result.problem.source == "spot_check"
        visited = sum(1 for _s, o in done if o != "away")
        found = sum(1 for _s, o in done if o == "problem")
        assert spot_checks.figures(session, report) == (visited, found)
        assert spot_checks.unrecorded(session, report) == len(samples) - len(done)
        registered = session.scalars(
            select(Problem).where(Problem.description.like("重点抽查抽查户%"))
        ).all()
        assert len(registered) == found
        if done:
            with pytest.raises(Conflict):
                spot_checks.record_result(
                    session, host, officer, report.id, done[0][0].id, {"visited": "yes"}
                )
        listed = session.scalars(
            select(SpotCheckSample).where(SpotCheckSample.obligation_id == report.id)
        ).all()
        assert {s.id for s in listed} == {s.id for s in samples}
