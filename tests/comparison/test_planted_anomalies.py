"""Generated rolls with anomalies planted among clean rows: every rule finds exactly what was
planted for it (every planted anomaly found, no clean row flagged), and running the rules
again raises nothing new."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.comparison_data import PLANTED_KINDS, generate
from campaign.comparison import rules
from campaign.comparison.protection import KeyFile
from campaign.comparison.run import run_comparison
from campaign.models import ComparisonRule, Discrepancy, RollRow
from tests.comparison.conftest import load, village_names


def findings(
    session: Session, roll_ids: dict[str, int]
) -> set[tuple[str, frozenset[tuple[str, int]]]]:
    """What the rules found, as (rule code, {(roll, row number)})."""
    roll_names = {roll_id: name for name, roll_id in roll_ids.items()}
    places = {
        row.id: (roll_names[row.roll_id], row.row_no)
        for row in session.scalars(select(RollRow).where(RollRow.roll_id.in_(roll_ids.values())))
    }
    found = set()
    for discrepancy, code in session.execute(
        select(Discrepancy, ComparisonRule.code).join(ComparisonRule)
    ):
        rows = frozenset(places[int(i)] for i in discrepancy.row_ids.split(","))
        assert len(rows) == discrepancy.rows
        found.add((code, rows))
    return found


def test_every_planted_anomaly_is_found_and_no_clean_row(
    db_session: Session, key_file: KeyFile
) -> None:
    data = generate(7, 60, village_names(db_session))
    roll_ids = load(db_session, key_file, data)
    result = run_comparison(db_session, actor_name="tests")
    expected = {(p.rule, p.rows) for p in data.planted}
    assert {rule for rule, _ in expected} == set(PLANTED_KINDS)
    assert findings(db_session, roll_ids) == expected
    assert result.total == len(expected)
    again = run_comparison(db_session, actor_name="tests")
    assert again.total == 0
    assert findings(db_session, roll_ids) == expected


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32),
    clean=st.integers(1, 40),
    kinds=st.sets(st.sampled_from(PLANTED_KINDS), min_size=1),
)
def test_any_mix_of_anomalies_is_found_exactly(
    db_session: Session, key_file: KeyFile, seed: int, clean: int, kinds: set[str]
) -> None:
    nested = db_session.begin_nested()
    try:
        data = generate(seed, clean, village_names(db_session), kinds=sorted(kinds))
        roll_ids = load(db_session, key_file, data)
        run_comparison(db_session, actor_name="tests")
        assert findings(db_session, roll_ids) == {(p.rule, p.rows) for p in data.planted}
    finally:
        nested.rollback()


def test_a_scope_runs_the_rules_on_its_rows_only(db_session: Session, key_file: KeyFile) -> None:
    data = generate(3, 10, village_names(db_session), kinds=["R05", "R04"])
    roll_ids = load(db_session, key_file, data)
    assert run_comparison(db_session, programme_code="P02", actor_name="t").total == 1  # R04 in B
    assert run_comparison(db_session, period="2022-05", actor_name="t").total == 0
    assert (
        run_comparison(db_session, programme_code="P01", period="2022-06", actor_name="t").total
        == 1
    )
    assert {rule for rule, _ in findings(db_session, roll_ids)} == {"R04", "R05"}


def test_a_disabled_rule_does_not_run_and_a_new_version_raises_nothing_again(
    db_session: Session, key_file: KeyFile
) -> None:
    data = generate(5, 10, village_names(db_session), kinds=["R04"])
    load(db_session, key_file, data)
    rules.change(db_session, "R04", enabled=False, actor_name="admin")
    result = run_comparison(db_session, actor_name="t")
    assert result.total == 0 and "R04" in result.skipped
    rule = rules.change(db_session, "R04", enabled=True, actor_name="admin")
    assert rule.version == 3
    assert run_comparison(db_session, actor_name="t").raised["R04"] == 1
    # Three people on one card: allowing three now finds nothing new, and what was found stays.
    rules.change(db_session, "R04", params={"max_people": 3}, actor_name="admin")
    assert run_comparison(db_session, actor_name="t").raised["R04"] == 0
    found = db_session.scalars(select(Discrepancy)).all()
    assert [d.rule_version for d in found] == [3]
