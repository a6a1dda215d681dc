"""Starting cases of deployed processes by hand and on schedule, and delivering messages from
outside, through the campaign's services: who may, what is refused, what is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import case_starts, case_views, deployment, message_delivery
from campaign.models import AuditEvent
from campaign.workflow_host import CampaignHost
from core import clock
from core.errors import InvalidInput, NotAllowed, NotFound
from engine import cases
from engine.models import Case, CaseStatus, TimerStart, WorkItem
from tests.campaign import case_diagrams
from tests.campaign.conftest import user

MATTER = {"subject": "核实退回资金", "reference": "2022-QSZ-0001"}


def deploy(session: Session, host: CampaignHost, xml: str) -> None:
    deployment.deploy(session, host, xml, by_name="测试", source="test")


def audits(session: Session, action: str) -> list[AuditEvent]:
    session.flush()
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def test_the_processes_a_person_may_start_follow_the_start_lane(
    db_session: Session, host: CampaignHost
) -> None:
    deploy(db_session, host, case_diagrams.waiter())
    offered = case_starts.startable(db_session, host, user(db_session, "qsz_jbr"))
    assert [(o.definition.key, [u.code for u in o.units]) for o in offered] == [
        ("matter_waiter", ["QSZ"])
    ]
    assert offered[0].form is not None and offered[0].form.key == "start_matter"
    # The reviewer is not an officer; the shipped processes are started by their services.
    assert case_starts.startable(db_session, host, user(db_session, "qsz_fzr")) == []


def test_start_with_the_start_form_audited(db_session: Session, host: CampaignHost) -> None:
    deploy(db_session, host, case_diagrams.waiter())
    officer = user(db_session, "qsz_jbr")
    case = case_starts.start(
        db_session, host, officer, "matter_waiter", "qsz", MATTER, source="api"
    )
    assert case.status == CaseStatus.WAITING.value
    assert case.owning_unit_id == officer.roles[0].unit_id
    shown = case_views.view(db_session, officer, case.id)
    assert shown is not None
    assert [(w.kind, w.name, w.key) for w in shown.waits] == [
        ("message", "资金已退回", "2022-QSZ-0001")
    ]
    [record] = audits(db_session, "case.start")
    assert (record.actor_name, record.target, record.success, record.source) == (
        "qsz_jbr",
        f"case:{case.id}",
        True,
        "api",
    )
    # Somebody else of another unit does not see it.
    assert case_views.view(db_session, user(db_session, "zb1_cy"), case.id) is None


@pytest.mark.parametrize(
    ("username", "key", "unit", "data", "error", "reason"),
    [
        ("qsz_jbr", "no_such_process", "QSZ", {}, NotFound, "流程定义不存在：no_such_process"),
        ("qsz_jbr", "matter_waiter", "XXX", MATTER, InvalidInput, "单位"),
        ("qsz_fzr", "matter_waiter", "QSZ", MATTER, NotAllowed, "须在该单位担任“本单位经办人”"),
        ("qsz_jbr", "matter_waiter", "CJJ-ZHK", MATTER, NotAllowed, "您不能为"),
        ("qsz_jbr", "matter_waiter", "QSZ", {"reference": "x"}, InvalidInput, "事项名称：必填"),
        ("qsz_jbr", "problem_lifecycle", "QSZ", {}, NotAllowed, "不能手动发起"),
        ("qsz_jbr", "matter_plain", "QSZ", ["not", "an", "object"], InvalidInput, "JSON 对象"),
        ("qsz_jbr", "matter_plain", "QSZ", {"responsible_unit": "QSZ"}, InvalidInput, "不允许"),
        ("qsz_jbr", "matter_plain", "QSZ", {"_x": 1}, InvalidInput, "不以 _ 开头"),
        ("qsz_jbr", "matter_plain", "QSZ", {"x": float("nan")}, InvalidInput, "只能含"),
    ],
)
def test_a_start_is_refused_with_its_reason(
    db_session: Session,
    host: CampaignHost,
    username: str,
    key: str,
    unit: str,
    data: object,
    error: type[Exception],
    reason: str,
) -> None:
    deploy(db_session, host, case_diagrams.waiter())
    deploy(db_session, host, case_diagrams.plain())
    before = db_session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
    with pytest.raises(error, match=reason):
        case_starts.start(
            db_session,
            host,
            user(db_session, username),
            key,
            unit,
            data,  # type: ignore[arg-type]
            source="test",
        )
    assert db_session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) == before


def test_a_plain_start_takes_plain_data(db_session: Session, host: CampaignHost) -> None:
    deploy(db_session, host, case_diagrams.plain())
    case = case_starts.start(
        db_session, host, user(db_session, "qsz_jbr"), "matter_plain", "QSZ", {"note": "甲"}
    )
    item = db_session.scalars(select(WorkItem).where(WorkItem.case_id == case.id)).one()
    assert (item.bpmn_id, item.role) == ("ack", "officer")


def test_messages_from_outside(db_session: Session, host: CampaignHost) -> None:
    deploy(db_session, host, case_diagrams.waiter())
    officer, office = user(db_session, "qsz_jbr"), user(db_session, "ldxz_ban")
    first = case_starts.start(db_session, host, officer, "matter_waiter", "QSZ", MATTER)
    second = case_starts.start(db_session, host, officer, "matter_waiter", "QSZ", MATTER)

    with pytest.raises(NotAllowed, match="只有领导小组办公室和系统管理员"):
        message_delivery.deliver(db_session, host, officer, "资金已退回", "2022-QSZ-0001", {})
    with pytest.raises(InvalidInput, match="JSON 对象"):
        message_delivery.deliver(db_session, host, office, "资金已退回", "2022-QSZ-0001", [1])
    with pytest.raises(InvalidInput, match="关联键"):
        message_delivery.deliver(db_session, host, office, "资金已退回", "", {})
    with pytest.raises(message_delivery.NobodyWaits, match="没有案件在等待"):
        message_delivery.deliver(db_session, host, office, "资金已退回", "2022-QSZ-9999", {})

    done = message_delivery.deliver(
        db_session, host, office, "资金已退回", "2022-QSZ-0001", {"amount_back": 120}
    )
    assert done.delivered == [first.id, second.id]
    for case in (first, second):
        assert case.status == CaseStatus.RUNNING.value
    with pytest.raises(message_delivery.NobodyWaits):
        message_delivery.deliver(db_session, host, office, "资金已退回", "2022-QSZ-0001", {})
    [record] = audits(db_session, "message.deliver")
    assert (record.actor_name, record.target, record.success) == (
        "ldxz_ban",
        "message:资金已退回",
        True,
    )
    assert f'"delivered": [{first.id}, {second.id}]' in record.detail
    # From the command line nobody is named: the operator is.
    with pytest.raises(message_delivery.NobodyWaits):
        message_delivery.deliver(db_session, host, None, "资金已退回", "K", {}, by_name="张工")


def test_timer_start_events_start_one_case_per_due_time(
    db_session: Session, host: CampaignHost
) -> None:
    deployed = datetime(2022, 7, 1, 0, 0, tzinfo=UTC)
    clock.freeze(deployed)
    deploy(db_session, host, case_diagrams.timer_started())
    assert case_starts.start_due_timers(db_session, host) == []  # not due before an hour
    clock.freeze(deployed + timedelta(hours=1, minutes=5))
    [first] = case_starts.start_due_timers(db_session, host)
    assert case_starts.start_due_timers(db_session, host) == []  # the same due time: once
    case = db_session.get(Case, first)
    assert case is not None and case.status == CaseStatus.RUNNING.value
    item = db_session.scalars(select(WorkItem).where(WorkItem.case_id == first)).one()
    assert (item.bpmn_id, item.role) == ("ack", "supervisor")
    assert "由定时开始事件启动（2022-07-01 09:00）" in cases.history(db_session, first)[0].message
    # Three hours later (the scheduler was down): one case, for the latest due time.
    clock.freeze(deployed + timedelta(hours=4, minutes=1))
    assert len(case_starts.start_due_timers(db_session, host)) == 1
    dues = db_session.scalars(select(TimerStart.due_at).order_by(TimerStart.due_at)).all()
    assert dues == [deployed + timedelta(hours=1), deployed + timedelta(hours=4)]
    [record, _] = audits(db_session, "case.start")
    assert (record.actor_name, record.source) == ("系统", "scheduler")


def test_a_bounded_cycle_stops(db_session: Session, host: CampaignHost) -> None:
    deployed = datetime(2022, 7, 1, 0, 0, tzinfo=UTC)
    clock.freeze(deployed)
    deploy(db_session, host, case_diagrams.timer_started(cycle="R2/PT1H"))
    clock.freeze(deployed + timedelta(hours=10))
    assert len(case_starts.start_due_timers(db_session, host)) == 1
    assert db_session.scalars(select(TimerStart.due_at)).all() == [deployed + timedelta(hours=2)]


def test_two_schedulers_at_once_start_one_case_per_due_time(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from campaign import bootstrap, jobs
    from core import schema
    from core.db import Database
    from tests.databases import fresh_database_url

    deployed = datetime(2022, 7, 1, 0, 0, tzinfo=UTC)
    with fresh_database_url(tmp_path_factory.mktemp("timer-starts")) as url:
        database = Database(url)
        try:
            schema.upgrade(database)
            clock.freeze(deployed)
            with database.transaction() as session:
                bootstrap.initialise(session, with_demo=False, deployed_by="tests")
                deploy(session, CampaignHost(), case_diagrams.timer_started())
            clock.freeze(deployed + timedelta(hours=1, minutes=1))
            with ThreadPoolExecutor(max_workers=4) as pool:
                started = list(pool.map(lambda _: jobs.start_timer_cases(database), range(4)))
            assert sorted(started) == [0, 0, 0, 1]
            with database.transaction() as session:
                assert len(session.scalars(select(TimerStart)).all()) == 1
                assert len(session.scalars(select(Case)).all()) == 1
        finally:
            database.dispose()
