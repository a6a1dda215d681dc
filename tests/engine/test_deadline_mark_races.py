"""Deadline marks under real concurrent transactions (SQLite and PostgreSQL): a completion of
the same case, a second sweep, and a sweep killed in the middle of a batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from core import clock
from core.db import Database
from engine import cases, deadline_marks, definitions, scheduler
from engine.models import CaseEvent, Timer, WorkItem
from engine.runner import in_transaction
from tests.engine.conftest import OFFICER, diagram
from tests.engine.host import FakeHost
from tests.engine.test_deadline_marks import AFTER, start

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db(own_database: Database, host: FakeHost) -> Iterator[Database]:
    with own_database.transaction() as session:
        definitions.deploy(session, diagram("deadline_mark"), host, deployed_by="test")
    yield own_database


def _started(db: Database, host: FakeHost, count: int) -> list[int]:
    with db.transaction() as session:
        return start(session, host, count)


def _fired(db: Database, case_ids: list[int]) -> Counter[int]:
    with db.transaction() as session:
        return Counter(
            session.scalars(
                select(CaseEvent.case_id).where(
                    CaseEvent.kind == "timer_fired", CaseEvent.case_id.in_(case_ids)
                )
            )
        )


def _complete(db: Database, host: FakeHost, case_id: int) -> object:
    with db.transaction() as session:
        item = session.scalars(
            select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open")
        ).one()
        item_id = item.id
    data = {"measures": "按期完成", "again": False}
    return in_transaction(db, host, cases.complete_task, item_id, data, OFFICER)


def _in_thread(call: Callable[[], object], into: list[object]) -> threading.Thread:
    def run() -> None:
        try:
            into.append(call())
        except Exception as exc:  # reported by the test
            into.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_sweep_waits_for_a_completion_of_the_case_and_then_marks_nothing(
    db: Database, host: FakeHost
) -> None:
    case_id = _started(db, host, 1)[0]
    clock.freeze(AFTER)
    locked, release = threading.Event(), threading.Event()
    swept: list[object] = []

    def completer() -> None:
        with db.transaction() as session:
            item = session.scalars(select(WorkItem).where(WorkItem.case_id == case_id)).one()
            cases.complete_task(
                session, host, item.id, {"measures": "按期", "again": False}, OFFICER
            )
            locked.set()
            release.wait(timeout=30)

    first = threading.Thread(target=completer)
    first.start()
    assert locked.wait(timeout=30)
    second = _in_thread(lambda: scheduler.sweep_timers(db, host), swept)
    time.sleep(0.3)
    assert not swept, "the sweep must wait for the completing transaction"
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)

    result = swept[0]
    assert isinstance(result, scheduler.SweepResult), result
    assert (result.marked, result.fired, result.failed) == (0, 0, [])
    assert _fired(db, [case_id]) == Counter()


def test_a_completion_waits_for_a_sweep_marking_its_case_and_the_mark_stays_once(
    db: Database, host: FakeHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = _started(db, host, 1)[0]
    clock.freeze(AFTER)
    marked, release = threading.Event(), threading.Event()
    real = deadline_marks.mark_due

    def paused(session: object, now: datetime, case_ids: list[int]) -> int:
        done = real(session, now, case_ids)  # type: ignore[arg-type]
        marked.set()
        release.wait(timeout=30)
        return done

    monkeypatch.setattr(deadline_marks, "mark_due", paused)
    swept: list[object] = []
    completed: list[object] = []
    sweeper = _in_thread(lambda: scheduler.sweep_timers(db, host), swept)
    assert marked.wait(timeout=30)
    completer = _in_thread(lambda: _complete(db, host, case_id), completed)
    time.sleep(0.3)
    assert not completed, "the completion must wait for the marking transaction"
    release.set()
    sweeper.join(timeout=30)
    completer.join(timeout=30)

    assert isinstance(swept[0], scheduler.SweepResult) and swept[0].marked == 1, swept
    assert isinstance(completed[0], cases.Completion), completed
    assert _fired(db, [case_id]) == Counter({case_id: 1})
    with db.transaction() as session:
        assert session.scalars(select(Timer).where(Timer.case_id == case_id)).all() == []


def test_two_sweeps_at_once_mark_every_deadline_once(
    db: Database, host: FakeHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _started(db, host, 200)
    clock.freeze(AFTER)
    monkeypatch.setattr(deadline_marks, "MARK_BATCH", 30)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def sweep() -> object:
        barrier.wait()
        return scheduler.sweep_timers(db, host)

    threads = [_in_thread(sweep, results) for _ in range(2)]
    for thread in threads:
        thread.join(timeout=120)

    assert all(isinstance(r, scheduler.SweepResult) for r in results), results
    assert sum(r.marked for r in results if isinstance(r, scheduler.SweepResult)) == 200
    assert _fired(db, started) == Counter({case_id: 1 for case_id in started})


KILLED_SWEEP = """
import sys, time
from core import clock
from core.db import Database
from engine import deadline_marks, scheduler
from datetime import datetime
real = deadline_marks.mark_due
def then_hang(session, now, case_ids):
    done = real(session, now, case_ids)
    if deadline_marks.MARK_BATCH and case_ids[0] > int(sys.argv[2]):
        print("hanging", flush=True)
        time.sleep(600)
    return done
deadline_marks.mark_due = then_hang
deadline_marks.MARK_BATCH = 40
clock.freeze(datetime.fromisoformat(sys.argv[3]))
scheduler.sweep_timers(Database(sys.argv[1]), None)
"""


def test_a_sweep_killed_in_the_middle_of_a_batch_leaves_its_batch_to_the_next(
    db: Database, host: FakeHost
) -> None:
    """A worker killed (SIGKILL) with a batch marked but not committed: the batches it
    committed stay marked, its open one is rolled back whole, and the next sweep marks the
    rest, every deadline once."""
    started = _started(db, host, 100)
    with subprocess.Popen(
        [sys.executable, "-c", KILLED_SWEEP, db.url, str(started[0]), AFTER.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    ) as worker:
        try:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "hanging"
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
    first = _fired(db, started)
    assert sorted(first) == started[:40] and set(first.values()) == {1}  # its first batch

    clock.freeze(AFTER)
    result = scheduler.sweep_timers(db, host)

    assert result.marked == 60
    assert _fired(db, started) == Counter({case_id: 1 for case_id in started})
