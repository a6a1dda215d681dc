"""Real concurrent transactions on separate connections (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from core import clock
from core.db import Database
from engine import cases, definitions, scheduler, workitems
from engine.errors import TaskConflict
from engine.host import Actor
from engine.models import CaseEvent, SchedulerLease, WorkItem
from engine.runner import in_transaction
from tests.engine.conftest import OFFICER, UNIT, diagram, start_rectify
from tests.engine.host import FakeHost

DEADLINE = "2022-07-31T18:00:00+08:00"
BEFORE = datetime(2022, 7, 1, tzinfo=UTC)
AFTER = datetime(2022, 8, 1, tzinfo=UTC)


@pytest.fixture
def db(own_database: Database, host: FakeHost) -> Iterator[Database]:
    with own_database.transaction() as session:
        definitions.deploy(session, diagram("rectify"), host, deployed_by="test")
    yield own_database


def _case_at_rectify(db: Database, host: FakeHost) -> tuple[int, int]:
    """A case waiting on 整改 with its deadline timer; returns (case id, work item id)."""
    clock.freeze(BEFORE)
    with db.transaction() as session:
        case = start_rectify(session, host, deadline=DEADLINE)
        item = session.scalars(select(WorkItem).where(WorkItem.case_id == case.id)).one()
        cases.complete_task(session, host, item.id, {}, OFFICER)
        rectify = session.scalars(
            select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.state == "open")
        ).one()
        return case.id, rectify.id


def _events(db: Database, case_id: int, kind: str) -> list[CaseEvent]:
    with db.transaction() as session:
        return list(
            session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
            )
        )


def _together(*calls: Callable[[], object]) -> list[object]:
    """Run calls in threads released at the same moment; results or raised exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_the_same_task_completed_twice_at_once_succeeds_once(db: Database, host: FakeHost) -> None:
    _, item_id = _case_at_rectify(db, host)

    def complete() -> object:
        return in_transaction(db, host, cases.complete_task, item_id, {"measures": "m"}, OFFICER)

    results = _together(complete, complete)
    conflicts = [r for r in results if isinstance(r, TaskConflict)]
    assert len(conflicts) == 1, results
    assert "已办理完毕" in str(conflicts[0]) or "刷新" in str(conflicts[0])
    with db.transaction() as session:
        assert session.get(WorkItem, item_id).state == "completed"  # type: ignore[union-attr]


def _hold_completion_while(
    db: Database, host: FakeHost, item_id: int, other: Callable[[], object]
) -> object:
    """Complete a task in an open transaction, start `other` meanwhile, then commit."""
    locked, release = threading.Event(), threading.Event()
    outcome: list[object] = []

    def completer() -> None:
        with db.transaction() as session:
            cases.complete_task(session, host, item_id, {"measures": "按期完成"}, OFFICER)
            locked.set()
            release.wait(timeout=30)

    def contender() -> None:
        try:
            outcome.append(other())
        except Exception as exc:
            outcome.append(exc)

    first = threading.Thread(target=completer)
    first.start()
    assert locked.wait(timeout=30)
    second = threading.Thread(target=contender)
    second.start()
    time.sleep(0.3)
    assert not outcome, "the timer sweep must wait for the completing transaction"
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    return outcome[0]


def test_a_timer_due_while_the_task_is_being_completed_waits_and_loses_nothing(
    db: Database, host: FakeHost
) -> None:
    case_id, item_id = _case_at_rectify(db, host)
    clock.freeze(AFTER)
    result = _hold_completion_while(db, host, item_id, lambda: scheduler.sweep_timers(db, host))
    assert isinstance(result, scheduler.SweepResult)
    assert result.failed == [] and result.fired == 0  # the task was done: its timer is gone
    assert _events(db, case_id, "timer_fired") == []
    assert len(_events(db, case_id, "task_completed")) == 2
    with db.transaction() as session:
        open_items = session.scalars(
            select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open")
        ).all()
        assert [i.bpmn_id for i in open_items] == ["review"]


def test_a_timer_that_fired_first_leaves_the_task_to_complete(db: Database, host: FakeHost) -> None:
    case_id, item_id = _case_at_rectify(db, host)
    clock.freeze(AFTER)
    assert scheduler.sweep_timers(db, host).fired == 1
    in_transaction(db, host, cases.complete_task, item_id, {"measures": "逾期后完成"}, OFFICER)
    assert len(_events(db, case_id, "timer_fired")) == 1
    assert len(_events(db, case_id, "task_completed")) == 2


def test_two_sweeps_at_once_fire_a_timer_once(db: Database, host: FakeHost) -> None:
    case_id, _ = _case_at_rectify(db, host)
    clock.freeze(AFTER)
    results = _together(
        lambda: scheduler.sweep_timers(db, host), lambda: scheduler.sweep_timers(db, host)
    )
    assert all(isinstance(r, scheduler.SweepResult) for r in results), results
    assert len(_events(db, case_id, "timer_fired")) == 1


def test_only_one_scheduler_holds_the_lease(db: Database, host: FakeHost) -> None:
    clock.freeze(BEFORE)
    first = scheduler.Scheduler(db, host, holder="first")
    second = scheduler.Scheduler(db, host, holder="second")
    with db.transaction() as session:
        session.execute(delete(SchedulerLease))
    ticks = _together(first.tick, second.tick)
    assert sum(t is not None for t in ticks) == 1, ticks
    winner = "first" if ticks[0] is not None else "second"
    loser = second if winner == "first" else first
    assert loser.tick() is None
    clock.advance(scheduler.LEASE_TTL + timedelta(seconds=1))  # the holder stopped renewing
    assert loser.tick() is not None


def test_a_deadline_fires_exactly_once_with_two_schedulers_running(
    db: Database, host: FakeHost
) -> None:
    case_id, _ = _case_at_rectify(db, host)
    clock.freeze(AFTER)
    running = [scheduler.Scheduler(db, host, holder=f"worker-{n}", interval=1) for n in (1, 2)]
    for each in running:
        each.start()
    try:
        deadline = time.monotonic() + 20
        while not _events(db, case_id, "timer_fired") and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2.5)  # both keep ticking meanwhile
    finally:
        for each in running:
            each.stop()
    assert len(_events(db, case_id, "timer_fired")) == 1


def test_twenty_people_claiming_one_task_at_once_one_wins(db: Database, host: FakeHost) -> None:
    """Each contender waits for the case lock; whoever gets it after a claim was committed
    must see that claim (on PostgreSQL a statement that waited still reads rows as they were
    when it began, so the item is re-read after the lock)."""
    _, item_id = _case_at_rectify(db, host)
    people = [host.allow(Actor(100 + n, f"经办人{n}"), UNIT, "officer") for n in range(20)]

    def claim_as(actor: Actor) -> Callable[[], object]:
        return lambda: in_transaction(db, host, workitems.claim, item_id, actor)

    results = _together(*(claim_as(person) for person in people))
    won = [r for r in results if isinstance(r, WorkItem)]
    refused = [r for r in results if isinstance(r, TaskConflict)]
    assert len(won) == 1 and len(refused) == 19, results
    assert all("已被他人认领" in str(r) for r in refused)
    with db.transaction() as session:
        item = session.get(WorkItem, item_id)
        assert item is not None and item.claimed_by == won[0].claimed_by
        claims = session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == item.case_id, CaseEvent.kind == "claimed")
        ).all()
        assert len(claims) == 1


def test_a_completion_racing_claims_is_done_by_the_claimer_only(
    db: Database, host: FakeHost
) -> None:
    _, item_id = _case_at_rectify(db, host)
    other = host.allow(Actor(200, "另一经办人"), UNIT, "officer")
    results = _together(
        lambda: in_transaction(db, host, workitems.claim, item_id, other),
        lambda: in_transaction(db, host, cases.complete_task, item_id, {"measures": "m"}, OFFICER),
    )
    with db.transaction() as session:
        item = session.get(WorkItem, item_id)
        assert item is not None
        if isinstance(results[0], WorkItem):  # the claim came first: the completion was refused
            assert isinstance(results[1], TaskConflict) and item.state == "open"
        else:  # the completion came first: nothing is left to claim
            assert isinstance(results[0], TaskConflict) and item.completed_by == OFFICER.id
