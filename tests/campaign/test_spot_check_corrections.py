"""Correcting a recorded household result: only while the report is open and only by the
township's people (the team's re-visit while its check is open), always with a reason, the
earlier values kept in the audit log; a live ledger entry is never silently undone, a problem
found on correction is registered once, and the report's figures follow the corrections."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import (
    key_check_revisits,
    key_checks,
    obligations,
    spot_check_corrections,
    spot_checks,
    tasks,
)
from campaign.models import AuditEvent, Obligation, Problem, SpotCheckResult, SpotCheckSample
from campaign.workflow_host import CampaignHost
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.campaign.conftest import do, user
from tests.campaign.test_campaign_scope import ENDED, _start_2023
from tests.campaign.test_spot_checks import (
    FOUND,
    NOTHING_FOUND,
    _open_item,
    _record,
    _samples,
    _spot_of,
)
from tests.factories import make_user


@pytest.fixture
def spot(db_session: Session, host: CampaignHost) -> Obligation:
    obligations.start_due(db_session, host, today=date(2022, 6, 15))
    return _spot_of(db_session, "QSZ")


AWAY = {"visited": "no", "visited_on": "2022-06-14", "problem_found": "no", "note": "外出务工"}


def _correct(
    session: Session,
    host: CampaignHost,
    spot: Obligation,
    sample: SpotCheckSample,
    data: dict[str, str],
    reason: str = "录入时选错了入户情况",
    username: str = "qsz_jbr",
) -> SpotCheckResult:
    return spot_check_corrections.correct(
        session,
        host,
        user(session, username),
        spot.id,
        sample.id,
        {**data, "correction_reason": reason},
    )


def _problems(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Problem)) or 0


def test_a_correction_changes_the_figures_and_keeps_what_was_recorded(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    first, second = _samples(db_session, spot)[:2]
    _record(db_session, host, spot, first, NOTHING_FOUND)
    _record(db_session, host, spot, second, NOTHING_FOUND)
    assert spot_checks.figures(db_session, spot) == (2, 0)
    result = _correct(db_session, host, spot, first, AWAY, reason="该户实际外出，未入户")
    assert (result.visited, result.card_holder, result.amounts_as_listed) == (False, "", None)
    assert result.corrections == 1 and result.correction_reason == "该户实际外出，未入户"
    assert result.corrected_by == user(db_session, "qsz_jbr").id and result.corrected_at
    assert spot_checks.figures(db_session, spot) == (1, 0)
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "spot_check.result_corrected")
    ).one()
    detail = json.loads(event.detail)
    assert detail["before"]["visited"] is True and detail["after"]["visited"] is False
    assert detail["household"] == first.household.code and detail["reason"].startswith("该户")
    # A second correction counts again; the result is still one row.
    _correct(db_session, host, spot, first, NOTHING_FOUND, reason="复核后确认已入户")
    assert result.corrections == 2
    assert db_session.scalar(select(func.count()).select_from(SpotCheckResult)) == 2


@pytest.mark.parametrize(
    ("data", "reason", "fields"),
    [
        (AWAY, "", {"correction_reason"}),
        (AWAY, "   ", {"correction_reason"}),
        (AWAY, "长" * 501, {"correction_reason"}),
        ({**AWAY, "visited_on": "2030-01-01"}, "", {"visited_on", "correction_reason"}),
        ({**NOTHING_FOUND, "card_holder": "cadre"}, "代管", {"problem_found"}),
        ({**FOUND, "programme": "P99"}, "发现代管", {"programme"}),
        ({**AWAY, "note": ""}, "未入户", {"note"}),
    ],
)
def test_bad_corrections_name_every_field_and_change_nothing(
    db_session: Session,
    host: CampaignHost,
    spot: Obligation,
    data: dict[str, str],
    reason: str,
    fields: set[str],
) -> None:
    sample = _samples(db_session, spot)[0]
    _record(db_session, host, spot, sample, NOTHING_FOUND)
    with pytest.raises(InvalidInput) as refused:
        _correct(db_session, host, spot, sample, data, reason=reason)
    assert set(refused.value.fields) == fields
    assert _problems(db_session) == 0


def test_the_same_values_again_are_no_correction(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    sample = _samples(db_session, spot)[0]
    result = _record(db_session, host, spot, sample, NOTHING_FOUND)
    with pytest.raises(InvalidInput, match="没有需要更正"):
        _correct(db_session, host, spot, sample, NOTHING_FOUND)
    assert result.corrections == 0


def test_a_household_without_a_result_is_recorded_not_corrected(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    sample = _samples(db_session, spot)[0]
    with pytest.raises(Conflict, match="尚未登记"):
        _correct(db_session, host, spot, sample, AWAY)
    with pytest.raises(NotFound):
        _correct(db_session, host, spot, SpotCheckSample(id=10**9), AWAY)


def test_a_problem_found_on_correction_is_registered_once(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    sample = _samples(db_session, spot)[0]
    _record(db_session, host, spot, sample, NOTHING_FOUND)
    result = _correct(db_session, host, spot, sample, FOUND, reason="复查发现干部代管")
    assert result.problem is not None and result.problem.source == "spot_check"
    assert result.problem.village_id == sample.village_id
    assert spot_checks.figures(db_session, spot) == (1, 1)
    # Correcting the note again keeps the entry: no second registration.
    filled = spot_check_corrections.form_values(result)
    assert filled["programme"] == "P11" and filled["amount"] == "1200.50"
    _correct(db_session, host, spot, sample, {**filled, "note": "村会计已交回"}, reason="补充说明")
    assert _problems(db_session) == 1 and result.note == "村会计已交回"


def test_a_live_entry_is_voided_in_the_ledger_before_the_result_says_nothing_was_found(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    sample = _samples(db_session, spot)[0]
    result = _record(db_session, host, spot, sample, FOUND)
    problem = result.problem
    assert problem is not None
    with pytest.raises(InvalidInput) as refused:
        _correct(db_session, host, spot, sample, NOTHING_FOUND, reason="误登")
    assert problem.number in refused.value.fields["problem_found"]
    assert result.problem_found is True
    # Voided through the ledger (two people), the result may then be corrected.
    do(db_session, host, "qsz_fzr", problem, {"review_decision": "void", "void_reason": "误登"})
    do(db_session, host, "ldxz_ban", problem, {"void_decision": "approve", "void_opinion": "同意"})
    assert problem.voided_at is not None
    _correct(db_session, host, spot, sample, NOTHING_FOUND, reason="误登，台账已作废")
    assert result.problem_found is False and spot_checks.figures(db_session, spot) == (1, 0)
    # Found again after the void: a new entry, not the voided one.
    again = _correct(db_session, host, spot, sample, FOUND, reason="再次核查发现代管")
    assert again.problem is not None and again.problem.id != problem.id
    assert _problems(db_session) == 2


def test_only_the_townships_people_correct_and_only_before_the_report_is_filed(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    samples = _samples(db_session, spot)
    for sample in samples:
        _record(db_session, host, spot, sample, NOTHING_FOUND)
    make_user(db_session, "bsz_officer", unit_code="BSZ", role="officer")
    with pytest.raises(NotFound):
        _correct(db_session, host, spot, samples[0], AWAY, username="bsz_officer")
    with pytest.raises(NotAllowed, match="只有本乡镇"):
        _correct(db_session, host, spot, samples[0], AWAY, username="ldxz_ban")
    officer = user(db_session, "qsz_jbr")
    tasks.complete(db_session, host, officer, _open_item(db_session, spot).id, {"content": "完毕"})
    tasks.complete(
        db_session,
        host,
        user(db_session, "qsz_fzr"),
        _open_item(db_session, spot).id,
        {"report_decision": "approve"},
    )
    assert spot.status == "submitted"
    with pytest.raises(Conflict, match="退回"):
        _correct(db_session, host, spot, samples[0], AWAY)
    assert spot_checks.figures(db_session, spot) == (len(samples), 0)
    page_offers = spot_check_corrections.may_correct(
        db_session, officer, spot, samples[0].id, spot_checks.TOWNSHIP_ROUND
    )
    assert page_offers is False


def test_the_team_corrects_its_revisit_while_the_check_is_open(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    for sample in _samples(db_session, spot):
        _record(db_session, host, spot, sample, NOTHING_FOUND)
    office, member = user(db_session, "ldxz_ban"), user(db_session, "zb1_cy")
    check = key_checks.assign(db_session, host, office, "QSZ", "JCZB1", "抽查复核")
    chosen = key_check_revisits.to_revisit(db_session, check)[0].sample
    key_check_revisits.record(
        db_session, host, member, spot.id, chosen.id, {**NOTHING_FOUND, "agrees": "yes"}
    )

    def correct_revisit(username: str, data: dict[str, str]) -> SpotCheckResult:
        return spot_check_corrections.correct(
            db_session,
            host,
            user(db_session, username),
            spot.id,
            chosen.id,
            {**data, "correction_reason": "与乡镇结果比对有误"},
            round=spot_checks.DISTRICT_ROUND,
        )

    with pytest.raises(NotAllowed):  # the township does not correct the team's visit
        correct_revisit("qsz_jbr", {**NOTHING_FOUND, "agrees": "no"})
    result = correct_revisit("zb1_cy", {**NOTHING_FOUND, "agrees": "no"})
    assert result.round == "district" and result.agrees is False and result.corrections == 1
    township = spot_checks.sampled_household(db_session, spot, chosen.id).result
    assert township is not None and township.corrections == 0
    check.status = "done"
    with pytest.raises(NotAllowed, match="已完成"):
        correct_revisit("zb1_cy", {**NOTHING_FOUND, "agrees": "yes"})


def test_an_ended_campaigns_results_are_not_corrected(
    db_session: Session, host: CampaignHost, spot: Obligation
) -> None:
    sample = _samples(db_session, spot)[0]
    result = _record(db_session, host, spot, sample, NOTHING_FOUND)
    _start_2023(db_session)
    with pytest.raises(NotAllowed, match=ENDED):
        _correct(db_session, host, spot, sample, AWAY)
    assert result.corrections == 0 and result.visited is True
