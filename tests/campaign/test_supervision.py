"""专项督办: an order to several units, each unit's feedback, the office's closing or return,
overdue by the one rule, and the refusals (wrong unit, double submit, missing deadline)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import case_starts, records, supervision, tasks
from campaign.models import Supervision, SupervisionPart
from campaign.workflow_host import CampaignHost
from core import clock
from core.errors import AppError, InvalidInput, NotAllowed
from engine.models import WorkItem
from tests.campaign.conftest import user
from tests.factories import make_user

OFFICE = "ldxz_ban"


def order(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": "leader_instruction",
        "source_ref": "区委主要领导批示第 12 号",
        "summary": "群众反映青山镇部分农户耕地地力保护补贴被代领，请核查处理并反馈",
        "units": ["QSZ", "NYNC"],
        "deadline": "2022-06-30",
    }
    data.update(overrides)
    return data


def issued(session: Session, host: CampaignHost, **overrides: Any) -> Supervision:
    return supervision.issue(session, host, user(session, OFFICE), order(**overrides))


def part_of(order_: Supervision, unit_code: str) -> SupervisionPart:
    return next(p for p in order_.parts if p.unit.code == unit_code)


def open_step(session: Session, part: SupervisionPart) -> WorkItem:
    items = session.scalars(
        select(WorkItem).where(WorkItem.case_id == part.case_id, WorkItem.state == "open")
    ).all()
    assert len(items) == 1, [i.bpmn_id for i in items]
    return items[0]


def do(
    session: Session, host: CampaignHost, username: str, part: SupervisionPart, data: dict[str, Any]
) -> WorkItem:
    step = open_step(session, part)
    tasks.complete(session, host, user(session, username), step.id, data)
    return step


FEEDBACK = {"feedback": "已逐户核查，代领补贴 3 户共 1800 元已追回并发放到户"}
CLOSE = {"office_decision": "close", "closing_note": "反馈属实，同意办结"}


def test_missing_deadline_units_and_summary_are_refused_beside_each_field(
    db_session: Session, host: CampaignHost
) -> None:
    with pytest.raises(InvalidInput) as refused:
        issued(db_session, host, deadline="", units=[], summary=" ", source="rumour")
    assert set(refused.value.fields) >= {"deadline", "units", "summary", "source"}
    with pytest.raises(InvalidInput) as past:
        issued(db_session, host, deadline="2022-06-01")
    assert "deadline" in past.value.fields
    with pytest.raises(InvalidInput) as wrong:
        issued(db_session, host, units=["QSZ", "QSZ01"])  # a village keeps no ledger
    assert "units" in wrong.value.fields
    with pytest.raises(InvalidInput):
        issued(db_session, host, deadline="2022-02-30")
    assert db_session.scalar(select(Supervision.id)) is None


def test_only_the_leading_group_office_issues_orders(
    db_session: Session, host: CampaignHost
) -> None:
    for username in ("qsz_jbr", "qsz_fzr", "ldxz_fzr"):
        with pytest.raises(NotAllowed):
            supervision.issue(db_session, host, user(db_session, username), order())
    assert db_session.scalar(select(Supervision.id)) is None


def test_each_unit_feeds_back_and_the_office_closes_or_returns(
    db_session: Session, host: CampaignHost
) -> None:
    nync = make_user(db_session, "nync_jbr", unit_code="NYNC")
    the_order = issued(db_session, host, units=["QSZ", "NYNC", "QSZ"])
    assert the_order.number.startswith("DB-2022-")
    assert [p.unit.code for p in the_order.parts] == ["QSZ", "NYNC"]  # ticked twice: once
    qsz, dept = part_of(the_order, "QSZ"), part_of(the_order, "NYNC")
    step = open_step(db_session, qsz)
    assert step.bpmn_id == "supervision_feedback" and step.role == "officer"
    assert step.unit_id == qsz.unit_id and step.due_at is not None
    assert step.due_at.astimezone(clock.LOCAL_TZ).date().isoformat() == "2022-06-30"
    assert qsz.status == "feedback"

    do(db_session, host, "qsz_jbr", qsz, FEEDBACK)
    assert qsz.status == "review" and qsz.feedback == FEEDBACK["feedback"]
    assert open_step(db_session, qsz).bpmn_id == "supervision_close"

    # Returned: the unit gets the task back with the reason and a new deadline.
    with pytest.raises(InvalidInput) as no_reason:
        do(db_session, host, OFFICE, qsz, {"office_decision": "return"})
    assert {"return_reason", "deadline"} <= set(no_reason.value.fields)
    back = {"office_decision": "return", "return_reason": "未附发放凭证", "deadline": "2022-07-10"}
    do(db_session, host, OFFICE, qsz, back)
    assert qsz.status == "feedback" and qsz.returns == 1 and qsz.return_reason == "未附发放凭证"
    again = open_step(db_session, qsz)
    assert again.bpmn_id == "supervision_feedback" and again.due_at is not None
    assert again.due_at.astimezone(clock.LOCAL_TZ).date().isoformat() == "2022-07-10"
    assert qsz.deadline.isoformat() == "2022-07-10"

    do(db_session, host, "qsz_jbr", qsz, FEEDBACK)
    do(db_session, host, OFFICE, qsz, CLOSE)
    assert qsz.status == "closed" and qsz.closed_at is not None
    assert not the_order.closed  # the department has not fed back yet
    do(db_session, host, nync.username, dept, {"feedback": "已督促乡镇完成核查"})
    do(db_session, host, OFFICE, dept, CLOSE)
    assert the_order.closed


def test_another_unit_cannot_feed_back_and_a_second_submit_is_refused(
    db_session: Session, host: CampaignHost
) -> None:
    make_user(db_session, "nync_jbr", unit_code="NYNC")
    the_order = issued(db_session, host)
    qsz = part_of(the_order, "QSZ")
    step = open_step(db_session, qsz)
    with pytest.raises(AppError):
        tasks.complete(db_session, host, user(db_session, "nync_jbr"), step.id, FEEDBACK)
    with pytest.raises(AppError):  # the office does not answer for the unit
        tasks.complete(db_session, host, user(db_session, OFFICE), step.id, FEEDBACK)
    tasks.complete(db_session, host, user(db_session, "qsz_jbr"), step.id, FEEDBACK)
    with pytest.raises(AppError):
        tasks.complete(db_session, host, user(db_session, "qsz_jbr"), step.id, FEEDBACK)
    assert qsz.status == "review"


def test_a_unit_sees_its_own_part_only(db_session: Session, host: CampaignHost) -> None:
    nync = make_user(db_session, "nync_jbr", unit_code="NYNC")
    the_order = issued(db_session, host)
    qsz, dept = part_of(the_order, "QSZ"), part_of(the_order, "NYNC")
    officer = user(db_session, "qsz_jbr")
    assert supervision.may_see(db_session, officer, qsz)
    assert not supervision.may_see(db_session, officer, dept)
    assert supervision.parts(db_session, officer) == [qsz]
    assert supervision.parts(db_session, nync) == [dept]
    assert set(supervision.parts(db_session, user(db_session, OFFICE))) == {qsz, dept}
    assert records.may_see_case(db_session, officer, qsz.case_id or 0)
    assert not records.may_see_case(db_session, officer, dept.case_id or 0)


def test_a_part_is_overdue_by_the_one_rule_and_the_figures_drill_down_to_it(
    db_session: Session, host: CampaignHost
) -> None:
    office = user(db_session, OFFICE)
    the_order = issued(db_session, host, source="media_exposure")
    qsz, dept = part_of(the_order, "QSZ"), part_of(the_order, "NYNC")
    do(db_session, host, "qsz_jbr", qsz, FEEDBACK)
    # 23:59:59 of the deadline day, Beijing time, is still on time.
    clock.freeze(datetime(2022, 6, 30, 15, 59, 58, tzinfo=UTC))
    assert supervision.parts(db_session, office, state="overdue") == []
    clock.freeze(datetime(2022, 7, 1, 1, 0, tzinfo=UTC))
    assert supervision.parts(db_session, office, state="overdue") == [dept]
    assert supervision.parts(db_session, office, state="feedback") == []
    assert supervision.parts(db_session, office, state="review") == [qsz]
    assert supervision.overdue_part_ids(db_session, [qsz, dept]) == {dept.id}
    by_source = {f.source: f for f in supervision.figures(db_session)}
    media = by_source["media_exposure"]
    assert media.counts == {"feedback": 0, "overdue": 1, "review": 1, "closed": 0}
    assert media.total == 2 and by_source["leader_instruction"].total == 0
    for state, count in media.counts.items():
        listed = supervision.parts(db_session, office, state=state, source="media_exposure")
        assert len(listed) == count


def test_the_process_is_not_started_by_hand(db_session: Session, host: CampaignHost) -> None:
    assert supervision.PROCESS_KEY in case_starts.SERVICE_STARTED
    with pytest.raises(NotAllowed):
        case_starts.start(
            db_session, host, user(db_session, OFFICE), supervision.PROCESS_KEY, "CJJ-ZHK", {}
        )
