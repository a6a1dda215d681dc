"""A change finds its task by the statement that reads, after the case's lock, all the
engine's step reads (campaign_cases.visible_item with to_change, engine.case_locks
.read_for_change): the engine then does not lock it again, unless a savepoint rolled back
meanwhile (which released the lock); two people completing one task at the same moment
still complete it once; what the lock's last holder committed is seen."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from campaign import campaign_cases, tasks
from campaign.models import Problem
from campaign.workflow_host import CampaignHost
from core.db import Database
from core.errors import Conflict
from engine import case_locks
from engine.models import WorkItem
from tests.campaign.conftest import approval, open_step, registered, registration, user
from tests.databases import fresh_demo_database
from tests.factories import make_user
from tests.test_held_rows import counted


def _locks(statements: list[str]) -> list[str]:
    """The statements that read a case with its state: the locking reads."""
    return [s for s in statements if "case_instance.state" in s and s.startswith("SELECT")]


def test_the_case_read_for_a_change_is_not_locked_again_until_a_savepoint_rolls_back(
    db_session: Session, host: CampaignHost
) -> None:
    step = open_step(db_session, registered(db_session, host, registration()))
    reviewer = user(db_session, "qsz_fzr")
    db_session.expunge_all()
    with counted(db_session) as statements:
        item = campaign_cases.visible_item(db_session, reviewer, step.id, to_change=True)
        assert item is not None
        case_locks.locked_item_and_open(db_session, step.id)
    assert len(_locks(statements)) == 1, statements  # visible_item's, and no other
    with db_session.begin_nested() as savepoint:
        savepoint.rollback()  # on PostgreSQL this releases the row locks taken after it
    with counted(db_session) as statements:
        case_locks.locked_item_and_open(db_session, step.id)
    assert len(_locks(statements)) == 1, statements  # locked again


def test_a_task_only_looked_at_takes_no_lock(db_session: Session, host: CampaignHost) -> None:
    step = open_step(db_session, registered(db_session, host, registration()))
    reviewer = user(db_session, "qsz_fzr")
    db_session.expunge_all()
    with counted(db_session) as statements:
        assert campaign_cases.visible_item(db_session, reviewer, step.id) is not None
        case_locks.locked_item_and_open(db_session, step.id)
    assert "FOR UPDATE" not in statements[0] and "case_instance.state" not in statements[0]
    assert len(_locks(statements)) == 1, statements  # the engine's own


def test_a_task_not_visible_to_the_person_leaves_nothing_held(
    db_session: Session, host: CampaignHost
) -> None:
    step = open_step(db_session, registered(db_session, host, registration()))
    stranger = user(db_session, "jjw_jc")  # the discipline commission: no case handed over
    assert campaign_cases.visible_item(db_session, stranger, step.id, to_change=True) is None
    assert case_locks._HELD not in db_session.info


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Database]:
    with fresh_demo_database(tmp_path) as database:
        yield database


def _approve(session: Session, host: CampaignHost, step_id: int) -> None:
    """The reviewer's 审核 as a request makes it: the task found for a change, then done."""
    reviewer = user(session, "qsz_fzr")
    assert campaign_cases.visible_item(session, reviewer, step_id, to_change=True) is not None
    tasks.complete(session, host, reviewer, step_id, approval())


def _together(*targets: Callable[[], None]) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)


def test_two_reviewers_completing_one_task_at_once_complete_it_once(fresh: Database) -> None:
    host = CampaignHost()
    with fresh.transaction() as session:
        step_id = open_step(session, registered(session, host, registration())).id
    first_in = threading.Event()
    outcomes: dict[str, object] = {}

    def review(name: str, linger: float) -> None:
        try:
            with fresh.transaction() as session:
                reviewer = user(session, "qsz_fzr")
                item = campaign_cases.visible_item(session, reviewer, step_id, to_change=True)
                assert item is not None
                if linger:
                    first_in.set()
                    time.sleep(linger)  # the other arrives meanwhile, and waits for the lock
                tasks.complete(session, host, reviewer, step_id, approval())
            outcomes[name] = "done"
        except Conflict as conflict:
            outcomes[name] = conflict

    first = threading.Thread(target=review, args=("first", 0.5))

    def second_review() -> None:
        first_in.wait(10)
        review("second", 0)

    second = threading.Thread(target=second_review)
    for thread in (first, second):
        thread.start()
    for thread in (first, second):
        thread.join(60)
    assert outcomes["first"] == "done"
    assert isinstance(outcomes["second"], Conflict), outcomes
    assert "已办理完毕" in str(outcomes["second"])
    with fresh.reading() as session:
        case_id = session.get(WorkItem, step_id).case_id  # type: ignore[union-attr]
        opened = session.scalar(
            select(func.count())
            .select_from(WorkItem)
            .where(WorkItem.case_id == case_id, WorkItem.state == "open")
        )
    assert opened == 1  # one next step, not two


def test_the_entry_a_completion_takes_up_is_as_the_case_lock_holder_left_it(
    fresh: Database,
) -> None:
    """On PostgreSQL a statement that waited for the case's lock sees the rows it did not
    lock as they were when it began: the entry is read after the lock, with the tasks, so a
    completion that waited sees what the lock's holder wrote to it."""
    host = CampaignHost()
    with fresh.transaction() as session:
        problem = registered(session, host, registration())
        problem_id, case_id = problem.id, problem.case_id
        step_id = open_step(session, problem).id
    holding = threading.Event()
    seen: list[str] = []
    failures: list[BaseException] = []

    def hold_the_case() -> None:
        try:
            with fresh.transaction() as session:
                assert case_id is not None
                case_locks.lock_case(session, case_id)
                session.execute(
                    update(Problem).where(Problem.id == problem_id).values(description="已更正")
                )
                holding.set()
                time.sleep(0.5)  # the completion arrives meanwhile, and waits for the lock
        except BaseException as failure:
            failures.append(failure)

    def complete() -> None:
        holding.wait(10)
        try:
            with fresh.transaction() as session:
                _approve(session, host, step_id)
                entry = session.get(Problem, problem_id)  # as the completion holds it
                assert entry is not None
                seen.append(entry.description)
        except BaseException as failure:
            failures.append(failure)

    _together(hold_the_case, complete)
    assert failures == [] and seen == ["已更正"]


def test_a_completion_that_waited_for_the_lock_sees_the_claim_its_holder_committed(
    fresh: Database,
) -> None:
    """The lock is sent with the read on PostgreSQL: the read still begins after it."""
    host = CampaignHost()
    with fresh.transaction() as session:
        step_id = open_step(session, registered(session, host, registration())).id
        make_user(session, "qsz_fzr_2", role="reviewer")
    holding = threading.Event()
    outcomes: dict[str, object] = {}

    def claim() -> None:
        try:
            with fresh.transaction() as session:
                other = user(session, "qsz_fzr_2")
                assert campaign_cases.visible_item(session, other, step_id, to_change=True)
                tasks.claim(session, host, other, step_id)
                session.flush()
                holding.set()
                time.sleep(0.5)  # the completion arrives meanwhile, and waits for the lock
            outcomes["claim"] = "done"
        except BaseException as failure:
            outcomes["claim"] = failure
            holding.set()

    def complete() -> None:
        holding.wait(10)
        try:
            with fresh.transaction() as session:
                _approve(session, host, step_id)
            outcomes["complete"] = "done"
        except BaseException as failure:
            outcomes["complete"] = failure

    _together(claim, complete)
    assert outcomes["claim"] == "done", outcomes
    assert isinstance(outcomes["complete"], Conflict), outcomes
    assert "认领" in str(outcomes["complete"])
