"""催办: only the office, only open tasks, once a task a day; the assignees and the unit head
are told in words naming the record, and the audit log and the case history keep it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import bootstrap, problems, urging
from campaign.models import AuditEvent, Notification, Problem, Urge
from campaign.workflow_host import CampaignHost
from core import clock, schema
from core.db import Database
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.models import CaseEvent, WorkItem
from tests.campaign.conftest import approval, do, open_step, registration, user
from tests.databases import fresh_database_url


def late_rectification(session: Session, host: CampaignHost) -> WorkItem:
    problem = problems.register(session, host, user(session, "qsz_jbr"), "QSZ", registration())
    do(session, host, "qsz_fzr", problem, approval(deadline="2022-06-16"))
    return open_step(session, problem)


def late(session: Session, host: CampaignHost) -> WorkItem:
    item = late_rectification(session, host)
    clock.freeze(datetime(2022, 6, 21, 2, 0, tzinfo=UTC))
    return item


def urges_of(session: Session, item: WorkItem) -> list[tuple[str, str]]:
    from campaign.models import User

    return [
        (username, text)
        for username, text in session.execute(
            select(User.username, Notification.text)
            .join(User, User.id == Notification.user_id)
            .where(Notification.work_item_id == item.id, Notification.kind.startswith("urge"))
            .order_by(User.username)
        )
    ]


def test_the_office_urges_an_open_task_once_a_day(db_session: Session, host: CampaignHost) -> None:
    item = late(db_session, host)
    office = user(db_session, "ldxz_ban")
    done = urging.urge(db_session, office, [item.id], "请于本周内办结")
    assert [i.id for i in done.done] == [item.id] and done.told == 2
    told = urges_of(db_session, item)
    assert [who for who, _ in told] == ["qsz_fzr", "qsz_jbr"]
    number = db_session.scalar(select(Problem.number).where(Problem.case_id == item.case_id))
    text = told[0][1]
    assert text.startswith(f"问题 {number}（青山镇）“整改落实，提交佐证”：领导小组办公室")
    assert "催办（请于本周内办结），已逾期 5 天（办理期限 2022-06-16），请尽快办理" in text
    audit = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "task.urge").order_by(AuditEvent.id.desc())
    ).first()
    assert audit is not None and audit.actor_id == office.id
    assert audit.target == f"case:{item.case_id}" and "请于本周内办结" in audit.detail
    event = db_session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == item.case_id, CaseEvent.kind == "urged")
    ).one()
    assert (
        event.actor_id == office.id and event.title == item.title and "通知 2 人" in event.message
    )
    with pytest.raises(Conflict, match="今天已催办过该事项，每个事项每天只能催办一次"):
        urging.urge(db_session, office, [item.id])
    assert urging.urged_today(db_session, [item.id]) == {item.id}
    clock.advance(timedelta(days=1))  # tomorrow, once more
    assert urging.urge(db_session, office, [item.id]).told == 2
    assert len(urges_of(db_session, item)) == 4
    assert len(db_session.scalars(select(Urge).where(Urge.work_item_id == item.id)).all()) == 2


def test_only_the_office_may_urge_and_only_open_tasks(
    db_session: Session, host: CampaignHost
) -> None:
    item = late(db_session, host)
    for name in ("qsz_jbr", "qsz_fzr", "admin", "jjw_jc"):
        with pytest.raises(NotAllowed, match="只有领导小组办公室可以催办"):
            urging.urge(db_session, user(db_session, name), [item.id])
    office = user(db_session, "ldxz_ban")
    item.state = "completed"
    with pytest.raises(Conflict, match="该事项已办结或已撤销，无需催办"):
        urging.urge(db_session, office, [item.id])
    with pytest.raises(NotFound):
        urging.urge(db_session, office, [10**9])
    with pytest.raises(InvalidInput, match="请选择要催办的事项"):
        urging.urge(db_session, office, [])
    with pytest.raises(InvalidInput, match="催办说明不能超过"):
        urging.urge(db_session, office, [item.id], "长" * 101)
    assert urges_of(db_session, item) == []


def test_a_selection_urges_what_it_can_and_says_what_it_skipped(
    db_session: Session, host: CampaignHost
) -> None:
    first = late_rectification(db_session, host)
    second = late(db_session, host)
    office = user(db_session, "ldxz_ban")
    urging.urge(db_session, office, [first.id])
    done = urging.urge(db_session, office, [first.id, second.id, 10**9])
    assert [i.id for i in done.done] == [second.id]
    assert done.summary() == "已催办 1 项，通知 2 人；1 项今天已催办过；1 项已办结或不存在"
    with pytest.raises(Conflict, match="所选事项均未催办：2 项今天已催办过"):
        urging.urge(db_session, office, [first.id, second.id])


def test_two_presses_at_once_urge_once(tmp_path: Path) -> None:
    """The day's key holds across transactions: two requests at the same moment, one urge."""
    with fresh_database_url(tmp_path) as url:
        database = Database(url)
        try:
            schema.upgrade(database)
            clock.freeze(datetime(2022, 6, 15, 2, 0, tzinfo=UTC))
            with database.transaction() as session:
                bootstrap.initialise(session, with_demo=True)
                item_id = late(session, CampaignHost()).id
            start, outcomes = threading.Barrier(2), []

            def press() -> None:
                start.wait()
                try:
                    with database.transaction() as session:
                        urging.urge(session, user(session, "ldxz_ban"), [item_id])
                    outcomes.append("urged")
                except Conflict as refused:
                    outcomes.append(str(refused))

            threads = [threading.Thread(target=press) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert sorted(outcomes) == sorted(["urged", urging.ONCE_A_DAY])
            with database.transaction() as session:
                assert len(session.scalars(select(Urge)).all()) == 1
        finally:
            database.dispose()
