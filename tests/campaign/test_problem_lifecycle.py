"""The problem lifecycle end to end, through the campaign's services and the real diagram."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, ledger_effects, problems
from campaign.models import Problem
from campaign.models.accounts import Role
from campaign.org import unit_by_code
from campaign.workflow_host import CampaignHost
from core import clock
from core.errors import InvalidInput
from engine import cases, workitems
from engine.errors import NotAllowed
from engine.models import CaseEvent, WorkItem
from tests.campaign.conftest import (
    SIGNED_OFF,
    approval,
    do,
    open_step,
    registration,
    submission,
    user,
)
from tests.factories import make_user

SUBMISSION = submission(measures_taken="已追回 3600 元并发放到户", amount_recovered="3600")


def register(session: Session, host: CampaignHost, **overrides: object) -> Problem:
    return problems.register(
        session, host, user(session, "qsz_jbr"), "QSZ", registration(**overrides)
    )


def test_the_straight_path_from_discovery_to_closing(
    db_session: Session, host: CampaignHost
) -> None:
    problem = register(db_session, host)
    assert problem.number == "2022-QSZ-0001" and problem.status == "reviewing"
    assert problem.village is not None and problem.village.code == "QSZ01"
    assert (problem.amount_fen, problem.households) == (360000, 3)
    review = open_step(db_session, problem)
    assert (review.bpmn_id, review.role, review.unit_id) == (
        "review_registration",
        "reviewer",
        unit_by_code(db_session, "QSZ").id,
    )

    do(db_session, host, "qsz_fzr", problem, approval())
    assert problem.status == "rectifying" and problem.deadline == date(2022, 7, 15)
    assert problem.responsible_unit is not None and problem.responsible_unit.code == "QSZ"
    rectify = open_step(db_session, problem)
    assert rectify.due_at == datetime(2022, 7, 15, 15, 59, 59, tzinfo=UTC)

    do(db_session, host, "qsz_jbr", problem, SUBMISSION)
    assert problem.status == "signoff" and problem.recovered_fen == 360000
    assert open_step(db_session, problem).role == "supervisor"
    do(db_session, host, "ldxz_ban", problem, SIGNED_OFF)
    assert problem.status == "disclosing"
    do(
        db_session,
        host,
        "qsz_jbr",
        problem,
        {"public_text": "青山村截留耕地地力保护补贴问题已整改，涉及身份证420704198801011234"},
    )
    assert "42**********1234" in problem.public_text and "1988" not in problem.public_text
    do(db_session, host, "ldxz_ban", problem, {"disclosure_decision": "approve"})
    assert problem.published_at is not None and problem.status == "closing"
    do(db_session, host, "ldxz_ban", problem, {"closing_note": "已公示"})
    assert problem.status == "closed" and problem.closed_at is not None

    steps = [
        e.bpmn_id
        for e in cases.history(db_session, problem.case_id or 0)
        if e.kind == "task_completed"
    ]
    assert steps == [
        "review_registration",
        "rectify",
        "signoff",
        "draft_disclosure",
        "approve_disclosure",
        "confirm_close",
    ]


def test_every_send_back_loop(db_session: Session, host: CampaignHost) -> None:
    problem = register(db_session, host)
    do(
        db_session,
        host,
        "qsz_fzr",
        problem,
        {"review_decision": "return", "review_return_reason": "金额需核实"},
    )
    assert problem.status == "correcting"
    do(db_session, host, "qsz_jbr", problem, registration(amount="3500.50"))
    assert problem.status == "reviewing" and problem.amount_fen == 350050
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "qsz_jbr", problem, SUBMISSION)
    do(
        db_session,
        host,
        "ldxz_ban",
        problem,
        {"signoff_decision": "return", "signoff_return_reason": "佐证不足"},
    )
    assert problem.status == "rectifying"
    do(db_session, host, "qsz_jbr", problem, SUBMISSION)
    do(db_session, host, "ldxz_ban", problem, SIGNED_OFF)
    do(db_session, host, "qsz_jbr", problem, {"public_text": "初稿"})
    do(
        db_session,
        host,
        "ldxz_ban",
        problem,
        {"disclosure_decision": "return", "disclosure_opinion": "补充整改日期"},
    )
    assert open_step(db_session, problem).bpmn_id == "draft_disclosure"
    do(db_session, host, "qsz_jbr", problem, {"public_text": "二稿，2022年6月20日整改到位"})
    assert problem.public_text.startswith("二稿")


def test_the_deadline_fires_marks_overdue_and_keeps_the_task(
    db_session: Session, host: CampaignHost
) -> None:
    problem = register(db_session, host)
    do(db_session, host, "qsz_fzr", problem, approval(deadline="2022-06-30"))
    rectify = open_step(db_session, problem)
    assert cases.fire_due_timers(db_session, host, problem.case_id or 0) == 0
    clock.advance(timedelta(days=16))  # 1 July 2022, 10:00 Beijing time
    assert db_session.scalars(select(WorkItem).where(workitems.overdue())).first() is not None
    assert cases.fire_due_timers(db_session, host, problem.case_id or 0) == 1
    assert open_step(db_session, problem).id == rectify.id
    fired = db_session.scalars(
        select(CaseEvent).where(
            CaseEvent.case_id == problem.case_id, CaseEvent.kind == "timer_fired"
        )
    ).all()
    assert [e.title for e in fired] == ["整改时限届满"]
    do(db_session, host, "qsz_jbr", problem, {**SUBMISSION, "completed_on": "2022-07-01"})
    assert problem.status == "signoff"


def test_a_deadline_extension_by_request_and_approval(
    db_session: Session, host: CampaignHost
) -> None:
    problem = register(db_session, host)
    do(db_session, host, "qsz_fzr", problem, approval(deadline="2022-06-30"))
    do(
        db_session,
        host,
        "qsz_jbr",
        problem,
        {
            "action": "extend",
            "extension_reason": "农户外出务工，无法当面退还",
            "requested_deadline": "2022-07-31",
        },
    )
    assert problem.status == "extension"
    do(
        db_session,
        host,
        "ldxz_ban",
        problem,
        {
            "extension_decision": "approve",
            "new_deadline": "2022-07-20",
            "extension_opinion": "同意延期至7月20日",
        },
    )
    assert problem.status == "rectifying" and problem.deadline == date(2022, 7, 20)
    assert open_step(db_session, problem).due_at == datetime(2022, 7, 20, 15, 59, 59, tzinfo=UTC)
    do(
        db_session,
        host,
        "qsz_jbr",
        problem,
        {"action": "extend", "extension_reason": "再次申请", "requested_deadline": "2022-08-31"},
    )
    do(
        db_session,
        host,
        "ldxz_ban",
        problem,
        {"extension_decision": "reject", "extension_opinion": "不同意"},
    )
    assert problem.deadline == date(2022, 7, 20)
    assert open_step(db_session, problem).bpmn_id == "rectify"


def test_the_public_text_needs_a_second_person(db_session: Session, host: CampaignHost) -> None:
    both = make_user(db_session, "both_roles", unit_code="QSZ", role="officer")
    accounts.grant_role(db_session, both, unit_by_code(db_session, "CJJ-ZHK"), Role.SUPERVISOR)
    problem = register(db_session, host)
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "both_roles", problem, SUBMISSION)
    do(db_session, host, "both_roles", problem, SIGNED_OFF)
    do(db_session, host, "both_roles", problem, {"public_text": "公示稿"})
    with pytest.raises(NotAllowed, match="拟稿人以外"):
        do(db_session, host, "both_roles", problem, {"disclosure_decision": "approve"})
    do(db_session, host, "ldxz_ban", problem, {"disclosure_decision": "approve"})


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"village": "BSZ01"}, "village", "不是可选的值"),
        ({"programme": "P99"}, "programme", "不是可选的值"),
        ({"amount": "-100"}, "amount", "不能为负数"),
        ({"amount": "三千"}, "amount", "须为金额"),
        ({"description": ""}, "description", "必填"),
        ({"discovered_on": "2022-06-16"}, "discovered_on", "不能晚于今天"),
    ],
)
def test_bad_registrations_are_refused_and_store_nothing(
    db_session: Session, host: CampaignHost, overrides: dict[str, str], field: str, message: str
) -> None:
    before = db_session.scalars(select(Problem)).all()
    with pytest.raises(InvalidInput) as invalid:
        register(db_session, host, **overrides)
    assert message in invalid.value.fields[field]
    assert db_session.scalars(select(Problem)).all() == before


def test_a_deadline_in_the_past_is_refused_at_review(
    db_session: Session, host: CampaignHost
) -> None:
    problem = register(db_session, host)
    with pytest.raises(InvalidInput) as invalid:
        do(db_session, host, "qsz_fzr", problem, approval(deadline="2022-06-14"))
    assert invalid.value.fields == {"deadline": "整改时限：不能早于今天"}
    assert problem.status == "reviewing"


def test_only_the_units_people_may_register(db_session: Session, host: CampaignHost) -> None:
    outsider = make_user(db_session, "bsz_officer", unit_code="BSZ", role="officer")
    with pytest.raises(NotAllowed):
        problems.register(db_session, host, outsider, "QSZ", registration())


def test_numbers_run_per_unit(db_session: Session, host: CampaignHost) -> None:
    first, second = register(db_session, host), register(db_session, host)
    bsz = make_user(db_session, "bsz_jbr", unit_code="BSZ", role="officer")
    third = problems.register(db_session, host, bsz, "BSZ", registration(village="BSZ01"))
    assert [first.number, second.number, third.number] == [
        "2022-QSZ-0001",
        "2022-QSZ-0002",
        "2022-BSZ-0001",
    ]


def test_the_names_involved_are_corrected_like_the_rest_and_masked_in_the_public_text(
    db_session: Session, host: CampaignHost
) -> None:
    problem = register(db_session, host, involved_names="张三")
    assert problem.involved_names == "张三"
    do(
        db_session,
        host,
        "qsz_fzr",
        problem,
        {"review_decision": "return", "review_return_reason": "漏填人员"},
    )
    values = ledger_effects.registration_values(problem)
    assert values["involved_names"] == "张三"  # the correction starts from what was entered
    do(db_session, host, "qsz_jbr", problem, {**values, "involved_names": "张三，欧阳明华"})
    assert problem.involved_names == "张三，欧阳明华"
    do(db_session, host, "qsz_fzr", problem, approval())
    do(db_session, host, "qsz_jbr", problem, SUBMISSION)
    do(db_session, host, "ldxz_ban", problem, SIGNED_OFF)
    do(db_session, host, "qsz_jbr", problem, {"public_text": "欧阳明华、张三已退赔"})
    assert problem.public_text == "欧阳某、张某已退赔"
