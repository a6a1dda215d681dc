"""Who hears about what: new work, send-backs, overdue items; and the scheduler's jobs."""

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import bootstrap, jobs, notifications, problems
from campaign.models import Notification, Obligation
from campaign.workflow_host import CampaignHost
from core import clock, schema
from core.db import Database
from tests.campaign.conftest import approval, do, registration, user
from tests.databases import fresh_database_url


def notifications_of(session: Session, username: str) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user(session, username).id)
            .order_by(Notification.id)
        )
    )


def test_new_work_and_send_backs_reach_the_people_of_the_step(
    db_session: Session, host: CampaignHost
) -> None:
    problem = problems.register(
        db_session, host, user(db_session, "qsz_jbr"), "QSZ", registration()
    )
    [review] = notifications_of(db_session, "qsz_fzr")
    assert review.kind == "assigned" and "审核登记" in review.text
    assert notifications_of(db_session, "ldxz_ban") == []
    do(
        db_session,
        host,
        "qsz_fzr",
        problem,
        {"review_decision": "return", "review_return_reason": "请补充"},
    )
    returned = notifications_of(db_session, "qsz_jbr")[-1]
    assert returned.kind == "returned" and "补正登记" in returned.text
    assert notifications.unread_count(db_session, user(db_session, "qsz_jbr")) >= 1
    notifications.mark_all_read(db_session, user(db_session, "qsz_jbr"))
    assert notifications.unread_count(db_session, user(db_session, "qsz_jbr")) == 0


def test_overdue_work_is_told_to_the_unit_head_and_the_office_once(
    db_session: Session, host: CampaignHost
) -> None:
    problem = problems.register(
        db_session, host, user(db_session, "qsz_jbr"), "QSZ", registration()
    )
    do(db_session, host, "qsz_fzr", problem, approval(deadline="2022-06-20"))
    assert notifications.for_overdue(db_session) == 0
    clock.advance(timedelta(days=6))
    sent = notifications.for_overdue(db_session)
    assert sent >= 2
    heads = [n for n in notifications_of(db_session, "qsz_fzr") if n.kind == "overdue"]
    office = [n for n in notifications_of(db_session, "ldxz_ban") if n.kind == "overdue"]
    assert len(heads) == 1 and len(office) == 1 and "整改落实" in office[0].text
    assert notifications.for_overdue(db_session) == 0


def test_the_scheduler_jobs_start_reports_and_announce_them(tmp_path: Path) -> None:
    # The jobs own their transactions, so they run on a database of their own.
    with fresh_database_url(tmp_path) as url:
        database = Database(url)
        try:
            schema.upgrade(database)
            with database.transaction() as session:
                bootstrap.initialise(session, with_demo=True)
            started = jobs.start_obligations(database)
            assert started > 0 and jobs.start_obligations(database) == 0
            assert jobs.notify_new_reports(database) > 0
            assert jobs.notify_new_reports(database) == 0
            with database.transaction() as session:
                assert len(session.scalars(select(Obligation.id)).all()) == started
                officer = user(session, "qsz_jbr")
                assert any(n.kind == "assigned" for n in notifications_of(session, "qsz_jbr"))
                assert notifications.unread_count(session, officer) > 0
        finally:
            database.dispose()
