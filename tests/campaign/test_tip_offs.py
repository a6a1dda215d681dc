"""Reports from the public: intake, 受理 → 分办 → 核实 → 反馈, the ledger entry of a report
found true, and what the query code shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import case_starts, records, tip_off_intake, tip_offs
from campaign.models import Problem, TipOff, TipOffStatus
from campaign.workflow_host import CampaignHost
from core import clock
from core.errors import AppError, InvalidInput, NotAllowed, NotFound
from engine.models import WorkItem
from tests.campaign.conftest import user
from tests.campaign.tip_off_helpers import (
    ACCEPT,
    ADDRESS,
    ASSIGN,
    FEEDBACK,
    FOUND_FALSE,
    FOUND_TRUE,
    OFFICE,
    UNIT_OFFICER,
    do,
    open_step,
    report,
    submitted,
)


def test_a_report_found_true_becomes_a_ledger_entry_and_the_reporter_reads_the_answer(
    db_session: Session, host: CampaignHost
) -> None:
    tip_off = submitted(db_session, host)
    assert len(tip_off.code) == tip_off_intake.CODE_LENGTH
    assert set(tip_off.code) <= set(tip_off_intake.CODE_ALPHABET)
    assert tip_off.status == TipOffStatus.RECEIVED.value
    accept = open_step(db_session, tip_off)
    assert accept.bpmn_id == "tip_off_accept" and accept.due_at is not None
    assert accept.due_at.astimezone(clock.LOCAL_TZ).date().isoformat() == "2022-06-18"

    do(db_session, host, OFFICE, tip_off, ACCEPT)
    assert tip_off.status == TipOffStatus.ACCEPTED.value
    do(db_session, host, OFFICE, tip_off, ASSIGN)
    assert tip_off.status == TipOffStatus.VERIFYING.value
    verify = open_step(db_session, tip_off)
    assert verify.bpmn_id == "tip_off_verify"
    assert verify.unit_id == tip_off.township_id and verify.role == "officer"
    assert verify.due_at is not None
    assert verify.due_at.astimezone(clock.LOCAL_TZ).date().isoformat() == "2022-06-30"
    assert tip_offs.prefill(tip_off, "tip_off_verify") == {"programme": "P11", "village": "QSZ01"}

    do(db_session, host, UNIT_OFFICER, tip_off, FOUND_TRUE)
    assert tip_off.status == TipOffStatus.VERIFIED.value and tip_off.verdict == "true"
    problem = db_session.get(Problem, tip_off.problem_id)
    assert problem is not None
    assert problem.source == "public_report"
    assert problem.programme.code == "P11" and problem.village is not None
    assert problem.village.code == "QSZ01" and problem.unit.code == "QSZ"
    assert problem.amount_fen == 360000
    assert tip_off.number in problem.description
    assert problem.discovered_on.isoformat() == "2022-06-15"
    assert problem.case_id is not None  # its own lifecycle, waiting for the unit's review

    do(db_session, host, OFFICE, tip_off, FEEDBACK)
    assert tip_off.status == TipOffStatus.ANSWERED.value
    shown = tip_off_intake.public_status(db_session, tip_off.code.lower())
    assert shown.status == "已反馈" and shown.answer == FEEDBACK["feedback"]
    assert [s.done for s in shown.stages] == [True, True, True, True]
    assert shown.answered_on is not None


def test_a_report_found_untrue_registers_nothing(db_session: Session, host: CampaignHost) -> None:
    tip_off = submitted(db_session, host)
    before = db_session.scalar(select(Problem.id).order_by(Problem.id.desc()).limit(1))
    do(db_session, host, OFFICE, tip_off, ACCEPT)
    do(db_session, host, OFFICE, tip_off, ASSIGN)
    do(db_session, host, UNIT_OFFICER, tip_off, FOUND_FALSE)
    assert tip_off.verdict == "false" and tip_off.problem_id is None
    assert db_session.scalar(select(Problem.id).order_by(Problem.id.desc()).limit(1)) == before
    do(db_session, host, OFFICE, tip_off, {"feedback": "经核实，补贴已足额发放。"})
    shown = tip_off_intake.public_status(db_session, tip_off_intake.shown_code(tip_off.code))
    assert shown.status == "已反馈" and "足额发放" in shown.answer


def test_a_report_outside_the_campaign_is_rejected_with_the_reason_the_reporter_reads(
    db_session: Session, host: CampaignHost
) -> None:
    tip_off = submitted(db_session, host)
    refused = {"accept_decision": "reject"}
    with pytest.raises(InvalidInput) as missing:
        do(db_session, host, OFFICE, tip_off, refused)
    assert "reject_reason" in missing.value.fields
    reason = "所反映的是医保报销问题，不属于本次专项治理范围，请向区医保局反映。"
    do(db_session, host, OFFICE, tip_off, {**refused, "reject_reason": reason})
    assert tip_off.status == TipOffStatus.REJECTED.value
    shown = tip_off_intake.public_status(db_session, tip_off.code)
    assert shown.status == "不予受理" and shown.answer == reason
    assert [s.done for s in shown.stages] == [True, False, False, False]


def test_the_query_page_shows_no_personal_data(db_session: Session, host: CampaignHost) -> None:
    tip_off = submitted(db_session, host)
    do(db_session, host, OFFICE, tip_off, ACCEPT)
    do(db_session, host, OFFICE, tip_off, ASSIGN)
    do(db_session, host, UNIT_OFFICER, tip_off, FOUND_TRUE)
    # An answer that names a phone and an ID number despite the form's hint is masked.
    do(
        db_session,
        host,
        OFFICE,
        tip_off,
        {"feedback": "已联系13812345678，身份证420704198801011234"},
    )
    shown = tip_off_intake.public_status(db_session, tip_off.code)
    everything = repr(shown)
    for secret in ("13812345678", "420704198801011234", "代领", "村会计", tip_off.number):
        assert secret not in everything
    assert "138****5678" in shown.answer


def test_unknown_or_malformed_codes_are_told_apart_clearly(db_session: Session) -> None:
    with pytest.raises(InvalidInput) as malformed:
        tip_off_intake.public_status(db_session, "abc")
    assert "12 位" in malformed.value.fields["code"]
    with pytest.raises(NotFound, match="没有找到"):
        tip_off_intake.public_status(db_session, "ABCD-EFGH-JKMN")


def test_the_portal_takes_a_few_reports_per_address_and_day(
    db_session: Session, host: CampaignHost
) -> None:
    for _ in range(tip_off_intake.MAX_PORTAL_REPORTS):
        submitted(db_session, host)
    with pytest.raises(InvalidInput, match="24 小时内最多"):
        submitted(db_session, host)
    other = tip_off_intake.submit_from_portal(db_session, host, report(), address="198.51.100.7")
    assert other.id is not None
    clock.freeze(clock.now() + timedelta(hours=24, minutes=1))
    assert submitted(db_session, host).id is not None


def test_the_hidden_field_refuses_robots(db_session: Session, host: CampaignHost) -> None:
    with pytest.raises(InvalidInput, match="提交未成功"):
        tip_off_intake.submit_from_portal(
            db_session, host, {**report(), "website": "http://spam"}, address=ADDRESS
        )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"programme": ""}, "programme"),
        ({"township": "NOPE"}, "township"),
        ({"account": "   "}, "account"),
        ({"account": "问" * 2001}, "account"),
        ({"contact": "1" * 101}, "contact"),
        ({"village": "BSZ01"}, "village"),  # a village of another township
    ],
)
def test_bad_reports_are_refused_field_by_field(
    db_session: Session, host: CampaignHost, overrides: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        submitted(db_session, host, **overrides)
    assert field in refused.value.fields


def test_a_phoned_report_keeps_the_phone_masked_and_only_the_office_takes_it(
    db_session: Session, host: CampaignHost
) -> None:
    office = user(db_session, OFFICE)
    data = {**report(contact=""), "caller_phone": "13812345678"}
    with pytest.raises(NotAllowed):
        tip_off_intake.submit_phoned(db_session, host, user(db_session, UNIT_OFFICER), data)
    with pytest.raises(InvalidInput) as bad:
        tip_off_intake.submit_phoned(db_session, host, office, {**data, "caller_phone": "abc"})
    assert "caller_phone" in bad.value.fields
    tip_off = tip_off_intake.submit_phoned(db_session, host, office, data)
    assert tip_off.channel == "phone" and tip_off.received_by == office.id
    assert tip_offs.masked_phone(tip_off) == "138****5678"
    assert tip_offs.reveal_phone(db_session, office, tip_off) == "13812345678"
    with pytest.raises(NotAllowed):  # not yet sent to the township
        tip_offs.reveal_phone(db_session, user(db_session, UNIT_OFFICER), tip_off)


def test_the_answer_is_not_due_before_the_verification(
    db_session: Session, host: CampaignHost
) -> None:
    tip_off = submitted(db_session, host)
    do(db_session, host, OFFICE, tip_off, ACCEPT)
    with pytest.raises(InvalidInput) as early:
        do(db_session, host, OFFICE, tip_off, {**ASSIGN, "feedback_due": "2022-06-20"})
    assert "feedback_due" in early.value.fields


def test_the_report_is_a_record_its_case_serves(db_session: Session, host: CampaignHost) -> None:
    tip_off = submitted(db_session, host)
    step = db_session.scalars(select(WorkItem).where(WorkItem.case_id == tip_off.case_id)).one()
    kind = records.kind_of(step.case)
    assert kind is not None and kind.label == "群众举报"
    assert records.record_of(db_session, step.case) is tip_off
    assert records.may_see_case(db_session, user(db_session, OFFICE), step.case_id)
    assert not records.may_see_case(db_session, user(db_session, UNIT_OFFICER), step.case_id)
    assert isinstance(records.record_of(db_session, step.case), TipOff)


@given(
    code=st.text(alphabet=tip_off_intake.CODE_ALPHABET, min_size=12, max_size=12),
    lower=st.lists(st.booleans(), min_size=12, max_size=12),
    separator=st.sampled_from(["-", " ", "", "—", " - "]),
)
def test_a_code_typed_back_in_any_case_and_grouping_is_the_code(
    code: str, lower: list[bool], separator: str
) -> None:
    typed = "".join(c.lower() if low else c for c, low in zip(code, lower, strict=True))
    grouped = separator.join(typed[i : i + 4] for i in range(0, 12, 4))
    assert tip_off_intake.normalised_code(grouped) == code
    assert tip_off_intake.normalised_code(tip_off_intake.shown_code(code)) == code


def test_codes_are_drawn_from_the_alphabet_and_do_not_repeat() -> None:
    codes = {tip_off_intake.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 12 and set(c) <= set(tip_off_intake.CODE_ALPHABET) for c in codes)
    assert not set("01ILO") & set(tip_off_intake.CODE_ALPHABET)


def test_the_office_cannot_start_a_report_case_without_a_report(
    db_session: Session, host: CampaignHost
) -> None:
    office = user(db_session, OFFICE)
    offered = {s.definition.key for s in case_starts.startable(db_session, host, office)}
    assert "tip_off" not in offered
    with pytest.raises(AppError):
        case_starts.start(db_session, host, office, "tip_off", "CJJ-ZHK", {})
