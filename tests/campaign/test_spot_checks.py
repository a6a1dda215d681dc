"""Spot checks household by household: who may record a result for which household, once;
a problem found becomes a ledger entry of the household's village; the report's figures are
counted from the results; the sample as a workbook; the district team's re-visit."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import (
    key_check_revisits,
    key_checks,
    obligations,
    report_checks,
    spot_check_lists,
    spot_checks,
    tasks,
)
from campaign.models import (
    Obligation,
    Problem,
    SpotCheckResult,
    SpotCheckSample,
    Unit,
)
from campaign.workflow_host import CampaignHost
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.models import WorkItem
from tests.campaign.conftest import user
from tests.factories import make_user

NOTHING_FOUND = {
    "visited": "yes",
    "visited_on": "2022-06-14",
    "card_holder": "household",
    "amounts_as_listed": "yes",
    "problem_found": "no",
    "note": "",
}
FOUND = {
    **NOTHING_FOUND,
    "card_holder": "cadre",
    "problem_found": "yes",
    "programme": "P11",
    "focus_item": "3.3",
    "stat_category": "S02",
    "description": "一卡通由村会计代管",
    "amount": "1200.50",
}


@pytest.fixture
def spot(db_session: Session, host: CampaignHost) -> Obligation:
    obligations.start_due(db_session, host, today=date(2022, 6, 15))
    return _spot_of(db_session, "QSZ")


def _spot_of(session: Session, township: str) -> Obligation:
    return session.scalars(
        select(Obligation)
        .join(Unit, Unit.id == Obligation.unit_id)
        .where(Unit.code == township, Obligation.deadline_code == "spot_check")
    ).one()


def _samples(session: Session, spot: Obligation) -> list[SpotCheckSample]:
    return list(
        session.scalars(
            select(SpotCheckSample)
            .where(SpotCheckSample.obligation_id == spot.id)
            .order_by(SpotCheckSample.id)
        )
    )


def _record(
    session: Session, host: CampaignHost, spot: Obligation, sample: SpotCheckSample, data: Any
) -> SpotCheckResult:
    return spot_checks.record_result(
        session, host, user(session, "qsz_jbr"), spot.id, sample.id, data
    )


def _open_item(session: Session, spot: Obligation) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == spot.case_id, WorkItem.state == "open")
    ).one()


def test_a_household_outside_the_sample_is_refused(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    other = _samples(db_session, _spot_of(db_session, "BSZ"))[0]
    with pytest.raises(NotFound, match="不在本次抽查名单中"):
        _record(db_session, host, spot, other, NOTHING_FOUND)
    with pytest.raises(NotFound):
        _record(db_session, host, spot, SpotCheckSample(id=10**9), NOTHING_FOUND)
    assert db_session.scalar(select(func.count()).select_from(SpotCheckResult)) == 0


def test_a_result_is_recorded_once(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    sample = _samples(db_session, spot)[0]
    _record(db_session, host, spot, sample, FOUND)
    with pytest.raises(Conflict, match="不能重复登记"):
        _record(db_session, host, spot, sample, FOUND)
    assert db_session.scalar(select(func.count()).select_from(SpotCheckResult)) == 1
    assert db_session.scalar(select(func.count()).select_from(Problem)) == 1


def test_another_townships_officer_may_not_record(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    sample = _samples(db_session, spot)[0]
    stranger = make_user(db_session, "bsz_officer", unit_code="BSZ", role="officer")
    with pytest.raises(NotFound):
        spot_checks.record_result(db_session, host, stranger, spot.id, sample.id, NOTHING_FOUND)
    office = user(db_session, "ldxz_ban")  # sees the sample, records nothing
    assert spot_checks.sheet(db_session, spot_checks.spot_check(db_session, office, spot.id))
    with pytest.raises(NotAllowed, match="只有本乡镇"):
        spot_checks.record_result(db_session, host, office, spot.id, sample.id, NOTHING_FOUND)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**NOTHING_FOUND, "visited": "maybe"}, "visited"),
        ({**NOTHING_FOUND, "visited_on": "2030-01-01"}, "visited_on"),
        ({**NOTHING_FOUND, "card_holder": ""}, "card_holder"),
        ({**NOTHING_FOUND, "card_holder": "cadre"}, "problem_found"),
        ({**NOTHING_FOUND, "amounts_as_listed": "no"}, "problem_found"),
        ({**NOTHING_FOUND, "visited": "no", "card_holder": "", "amounts_as_listed": ""}, "note"),
        ({**FOUND, "programme": ""}, "programme"),
        ({**FOUND, "amount": "12.345"}, "amount"),
        ({**FOUND, "description": ""}, "description"),
        # The ledger's own rules: a short payment is counted in money.
        ({**FOUND, "focus_item": "1.2", "stat_category": "S08", "amount": ""}, "amount"),
        ({**FOUND, "focus_item": "1.2", "stat_category": "S08", "amount": "0"}, "amount"),
    ],
)
def test_bad_input_names_the_field(
    db_session: Session, host: CampaignHost, spot: Obligation, data: Any, field: str
) -> None:
    sample = _samples(db_session, spot)[0]
    with pytest.raises(InvalidInput) as refused:
        _record(db_session, host, spot, sample, data)
    assert field in refused.value.fields
    assert db_session.scalar(select(func.count()).select_from(Problem)) == 0


def test_a_problem_found_is_registered_in_the_households_village(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    sample = _samples(db_session, spot)[0]
    result = _record(db_session, host, spot, sample, FOUND)
    problem = result.problem
    assert problem is not None and problem.source == "spot_check"
    assert problem.village_id == sample.village_id and problem.unit_id == spot.unit_id
    assert problem.programme.code == "P11" and problem.amount_fen == 120050
    assert problem.cards == 1 and problem.discovered_on == date(2022, 6, 14)
    assert sample.household.code in problem.description
    assert sample.household.head_name not in problem.description
    assert problem.case_id is not None  # its lifecycle started, as any entry's


def test_the_report_is_filled_from_the_results_once_all_are_recorded(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    officer = user(db_session, "qsz_jbr")
    samples = _samples(db_session, spot)
    with pytest.raises(InvalidInput, match=f"还有 {len(samples)} 户"):
        tasks.complete(db_session, host, officer, _open_item(db_session, spot).id, {"content": "x"})
    _record(db_session, host, spot, samples[0], FOUND)
    away = {"visited": "no", "visited_on": "2022-06-14", "problem_found": "no", "note": "外出务工"}
    _record(db_session, host, spot, samples[1], away)
    for sample in samples[2:]:
        _record(db_session, host, spot, sample, NOTHING_FOUND)
    typed = {"content": "抽查完毕", "households_checked": "999", "problems_found": "7"}
    tasks.complete(db_session, host, officer, _open_item(db_session, spot).id, typed)
    assert (spot.households_checked, spot.problems_found) == (len(samples) - 1, 1)
    tasks.complete(
        db_session,
        host,
        user(db_session, "qsz_fzr"),
        _open_item(db_session, spot).id,
        {"report_decision": "approve"},
    )
    assert spot.status == "submitted"
    # One household not visited: one short of five in its village.
    assert [n for n in report_checks.warnings(db_session, spot) if "少于" in n]
    assert not [n for n in report_checks.warnings(db_session, spot) if "不一致" in n]
    with pytest.raises(Conflict, match="已报送"):
        _record(db_session, host, spot, samples[0], NOTHING_FOUND)


def test_the_sample_reads_back_from_its_workbook(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    samples = _samples(db_session, spot)
    _record(db_session, host, spot, samples[0], FOUND)
    sheet = spot_checks.sheet(db_session, spot)
    buffer = io.BytesIO()
    written = spot_check_lists.export(db_session, user(db_session, "qsz_jbr"), sheet, buffer)
    assert written == len(samples) == sheet.households
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    assert len(book.worksheets) == len(sheet.villages)
    read: dict[str, list[Any]] = {}
    for ws in book.worksheets:
        assert [c.value for c in ws[2]][:3] == ["序号", "户编号", "户主"]
        for row in ws.iter_rows(min_row=3, values_only=True):
            read[str(row[1])] = list(row)
    listed = {h.household.code: h for v in sheet.villages for h in v.households}
    assert set(read) == set(listed)
    first = samples[0].household
    assert read[first.code][2] == first.head_name
    assert read[first.code][4:8] == ["已入户", "干部或他人代管", "一致", "发现问题"]
    assert read[first.code][8] and str(read[first.code][8]).startswith("2022-QSZ-")


def test_the_team_revisits_some_visited_households_and_rates_the_township(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    for sample in _samples(db_session, spot):
        _record(db_session, host, spot, sample, NOTHING_FOUND)
    office, member = user(db_session, "ldxz_ban"), user(db_session, "zb1_cy")
    check = key_checks.assign(db_session, host, office, "QSZ", "JCZB1", "抽查复核")
    chosen = key_check_revisits.to_revisit(db_session, check)
    villages = {s.village_id for s in _samples(db_session, spot)}
    assert len(chosen) == 2 * len(villages)
    assert [h.sample.id for h in chosen] == [
        h.sample.id for h in key_check_revisits.to_revisit(db_session, check)
    ]
    again_ids = {h.sample.id for h in chosen}
    outside = next(s for s in _samples(db_session, spot) if s.id not in again_ids)
    again = {**FOUND, "agrees": "no"}
    with pytest.raises(NotFound, match="复核名单"):
        key_check_revisits.record(db_session, host, member, spot.id, outside.id, again)
    with pytest.raises(NotAllowed):  # the township's officer is no team member
        key_check_revisits.record(
            db_session, host, user(db_session, "qsz_jbr"), spot.id, chosen[0].sample.id, again
        )
    first = chosen[0].sample.id
    result = key_check_revisits.record(db_session, host, member, spot.id, first, again)
    assert result.round == "district" and result.agrees is False
    assert result.problem is not None and result.problem.source == "district_check"
    with pytest.raises(Conflict):
        key_check_revisits.record(db_session, host, member, spot.id, chosen[0].sample.id, again)
    item = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == check.case_id, WorkItem.state == "open")
    ).one()
    report = {
        "checked_on": "2022-06-15",
        "villages_checked": "2",
        "households_checked": "2",
        "content": "复核",
        "self_inspection_rating": "average",
        "rating_note": "复核 1 户与乡镇结果不一致",
    }
    tasks.complete(db_session, host, member, item.id, report)
    assert (check.rating, check.status) == ("一般", "done")
