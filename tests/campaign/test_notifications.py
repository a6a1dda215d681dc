"""Who hears about what: new work, send-backs, overdue items; and the scheduler's jobs."""

from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from campaign import accounts, bootstrap, jobs, notifications, problems
from campaign.actors import actor_for
from campaign.models import Notification, Obligation, Problem
from campaign.models.accounts import Role
from campaign.org import unit_by_code
from campaign.workflow_host import CampaignHost
from core import schema
from core.db import Database
from engine import cases, projection
from engine.models import WorkItem
from tests.campaign.conftest import approval, do, registered, registration, user
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


def test_the_open_steps_of_several_cases_reach_the_holders_of_each_unit_and_role_alone(
    db_session: Session, host: CampaignHost
) -> None:
    """The people of every step are found together; the units and roles of one step must
    not bring in the holders of another step's unit with this step's role."""
    office = user(db_session, "ldxz_ban")
    bsz = unit_by_code(db_session, "BSZ")
    for username, role, enabled in [
        ("bsz_fzr", Role.REVIEWER, True),
        ("bsz_jbr", Role.OFFICER, True),
        ("bsz_old", Role.OFFICER, False),
    ]:
        person = accounts.create_user(
            db_session, username, "Bench-Pass-2022", unit_code="BSZ", role=role.value
        )
        person.enabled = enabled
    first, second = (
        problems.register(db_session, host, office, unit, registration(village=village))
        for unit, village in [("QSZ", "QSZ01"), ("BSZ", "BSZ01")]
    )
    # The second case's step goes to the officers of 白沙镇 instead (as a send-back would),
    # told afresh together with the first case's step.
    step = db_session.scalars(select(WorkItem).where(WorkItem.case_id == second.case_id)).one()
    step.role = Role.OFFICER.value
    db_session.execute(delete(Notification))
    sent = notifications.for_new_work(db_session, first.case_id or 0, second.case_id or 0)
    told = {
        (n.user_id, n.work_item_id)
        for n in db_session.scalars(select(Notification).where(Notification.kind == "assigned"))
    }
    review = db_session.scalars(select(WorkItem.id).where(WorkItem.case_id == first.case_id)).one()
    assert told == {
        (user(db_session, "qsz_fzr").id, review),
        (user(db_session, "bsz_jbr").id, step.id),
    }
    assert sent == 2 and step.unit_id == bsz.id


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


def _told(session: Session) -> set[tuple[int, str, str, int | None]]:
    return {
        (n.user_id, n.kind, n.text, n.work_item_id)
        for n in session.scalars(select(Notification).where(Notification.kind != "reminder"))
    }


def test_a_completion_tells_the_holders_of_the_step_it_opened_as_reading_them_would(
    db_session: Session, host: CampaignHost
) -> None:
    """A completion tells the people of the task its step opened without reading the case's
    open tasks again: the same notices as the full read makes, each enabled holder once."""
    for username, enabled in [("qsz_jbr2", True), ("qsz_gone", False)]:
        person = accounts.create_user(
            db_session, username, "Bench-Pass-2022", unit_code="QSZ", role=Role.OFFICER.value
        )
        person.enabled = enabled
    problem = problems.register(
        db_session, host, user(db_session, "qsz_jbr"), "QSZ", registration()
    )
    db_session.execute(delete(Notification))
    do(db_session, host, "qsz_fzr", problem, approval())
    quick = _told(db_session)
    rectify = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()
    officers = {user(db_session, name).id for name in ("qsz_jbr", "qsz_jbr2")}
    assert {(u, item) for u, _kind, _text, item in quick} == {(u, rectify.id) for u in officers}
    db_session.execute(delete(Notification))
    assert notifications.for_new_work(db_session, problem.case_id or 0) == 2  # read this time
    assert _told(db_session) == quick


def test_the_notices_of_many_tasks_are_those_of_a_few_at_a_time(
    db_session: Session, host: CampaignHost
) -> None:
    """More than a few tasks are told by a COPY of rows made here, a few by one INSERT ...
    SELECT: the same notices either way."""
    officer = user(db_session, "qsz_jbr")
    registered_ids = [
        problems.register(db_session, host, officer, "QSZ", registration()).case_id or 0
        for _ in range(notifications._FEW + 3)
    ]
    db_session.execute(delete(Notification))
    assert notifications.for_new_work(db_session, *registered_ids) == len(registered_ids)
    many = _told(db_session)
    db_session.execute(delete(Notification))
    for start in range(0, len(registered_ids), 3):
        notifications.for_new_work(db_session, *registered_ids[start : start + 3])
    assert _told(db_session) == many and len(many) == len(registered_ids)


def _engine_step(session: Session, host: CampaignHost, problem: Problem) -> cases.Completion:
    """A step of the case with no notices sent (the engine alone, as a timer or a message)."""
    step = session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()
    reviewer = actor_for(user(session, "qsz_fzr"))
    done = cases.complete_task(session, host, step.id, approval(), reviewer)
    session.flush()
    return done


def test_a_case_told_among_several_is_not_told_again_alone(
    db_session: Session, host: CampaignHost
) -> None:
    first, second = (registered(db_session, host, registration()) for _ in range(2))
    held = [_engine_step(db_session, host, problem) for problem in (first, second)]
    db_session.execute(delete(Notification))
    told = notifications.for_new_work(db_session, first.case_id or 0, second.case_id or 0)
    assert told == 2 and all(done.case for done in held)
    assert notifications.for_new_work(db_session, first.case_id or 0) == 0  # nobody twice
    assert len(_told(db_session)) == 2


def test_what_a_step_opened_is_forgotten_when_its_transaction_ends(
    db_session: Session, host: CampaignHost
) -> None:
    """The session keeps its objects loaded after a commit; another transaction may change
    the rows, so what a step left is not taken from the one before."""
    problem = registered(db_session, host, registration())
    done = _engine_step(db_session, host, problem)
    assert projection.open_items_after(db_session, done.case) is not None
    db_session.commit()
    assert projection.open_items_after(db_session, done.case) is None
    assert projection.opened_items(db_session, done.case.id) is None
    assert notifications.for_new_work(db_session, problem.case_id or 0) == 1  # read: 1 officer
