"""The timer sweep keeps up: every due case in one run, a batch per transaction, and a batch
that goes wrong costs nothing but time (its cases fire one by one)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import clock
from core.db import Database
from engine import cases, definitions, scheduler
from engine.host import CaseContext
from engine.models import Case, CaseEvent, CaseStatus, Timer, WorkItem
from tests.engine.conftest import OFFICER, UNIT, diagram
from tests.engine.host import FakeHost

BEFORE = datetime(2026, 6, 1, tzinfo=UTC)
AFTER = datetime(2026, 6, 2, tzinfo=UTC)
POISON = {
    'id="test_deadline"': 'id="test_poison"',
    'processRef="test_deadline"': 'processRef="test_poison"',
    "<bpmn:script>overdue = True</bpmn:script>": "<bpmn:script>overdue = never_given</bpmn:script>",
}


def _start(session: Session, host: FakeHost, count: int, key: str = "test_deadline") -> list[int]:
    clock.freeze(BEFORE)
    return [
        cases.start_case(
            session,
            host,
            key,
            data={"deadline": "2026-06-01"},
            context=CaseContext(owning_unit_id=UNIT),
            actor=OFFICER,
        ).id
        for _ in range(count)
    ]


def _fired_per_case(session: Session) -> Counter[int]:
    rows = session.scalars(select(CaseEvent.case_id).where(CaseEvent.kind == "timer_fired"))
    return Counter(rows)


def _due_left(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Timer).where(Timer.due_at <= AFTER)) or 0


def test_fifteen_hundred_due_cases_all_fire_in_one_scheduler_run(
    db_session: Session, bound_database: Database, host: FakeHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    definitions.deploy(db_session, diagram("deadline"), host, deployed_by="test")
    started = _start(db_session, host, 1500)
    db_session.commit()
    # Small pages and batches: the old sweep fired one page (then 500) per tick.
    monkeypatch.setattr(scheduler, "SWEEP_BATCH", 200)
    monkeypatch.setattr(scheduler, "FIRE_BATCH", 40)
    batches: list[int] = []
    real = scheduler.timer_batch.fire_together

    def counted(session: Session, host: FakeHost, case_ids: list[int]) -> object:
        batches.append(len(case_ids))
        return real(session, host, case_ids)

    monkeypatch.setattr(scheduler.timer_batch, "fire_together", counted)
    clock.freeze(AFTER)

    result = scheduler.Scheduler(bound_database, host, holder="one", jobs=[]).tick()

    assert result is not None and result.fired == 1500 and not result.unfinished
    assert result.failed == [] and result.busy == []
    assert max(batches) == 40 and sum(batches) == 1500
    db_session.expire_all()
    assert _fired_per_case(db_session) == Counter({case_id: 1 for case_id in started})
    assert _due_left(db_session) == 0
    # Each case went on exactly as on its own: the overdue branch ran, the task stays open.
    items = db_session.scalars(select(WorkItem).where(WorkItem.case_id.in_(started))).all()
    assert len(items) == 1500 and {i.state for i in items} == {"open"}
    statuses = db_session.scalars(select(Case.status).where(Case.id.in_(started))).all()
    assert set(statuses) == {CaseStatus.RUNNING.value}
    assert scheduler.sweep_timers(bound_database, host).fired == 0


def test_a_poison_case_inside_a_batch_is_marked_and_the_batch_fires(
    db_session: Session, bound_database: Database, host: FakeHost
) -> None:
    definitions.deploy(db_session, diagram("deadline"), host, deployed_by="test")
    definitions.deploy(db_session, diagram("deadline", **POISON), host, deployed_by="test")
    healthy = _start(db_session, host, 10)
    poison = _start(db_session, host, 1, "test_poison")
    healthy += _start(db_session, host, 10)
    db_session.commit()
    clock.freeze(AFTER)

    result = scheduler.sweep_timers(bound_database, host)

    assert result.failed == poison and result.fired == 20
    db_session.expire_all()
    assert db_session.get(Case, poison[0]).status == CaseStatus.ERROR.value  # type: ignore[union-attr]
    assert _fired_per_case(db_session) == Counter({case_id: 1 for case_id in healthy})


def test_a_batch_that_fails_as_a_whole_fires_its_cases_one_by_one(
    db_session: Session, bound_database: Database, host: FakeHost
) -> None:
    """The host refuses to hear of one case (a fault outside the case's own run, which the
    batch cannot pin on a case): the batch is rolled back, every other case still fires
    once, and the faulty one is reported and keeps its timer for the next tick (the host
    refuses to hear of its error too)."""
    definitions.deploy(db_session, diagram("deadline"), host, deployed_by="test")
    started = _start(db_session, host, 12)
    db_session.commit()
    faulty = started[5]
    heard = host.case_changed

    def refusing(session: Session, case: Case) -> None:
        if case.id == faulty:
            raise RuntimeError("记录服务暂时不可用")
        heard(session, case)

    host.case_changed = refusing  # type: ignore[method-assign]
    clock.freeze(AFTER)

    result = scheduler.sweep_timers(bound_database, host)

    assert result.failed == [faulty] and result.fired == 11
    db_session.expire_all()
    assert _fired_per_case(db_session) == Counter({c: 1 for c in started if c != faulty})
    assert db_session.scalars(select(Timer.case_id)).all() == [faulty]


def test_two_sweeps_at_once_fire_every_timer_once(own_database: Database, host: FakeHost) -> None:
    with own_database.transaction() as session:
        definitions.deploy(session, diagram("deadline"), host, deployed_by="test")
        started = _start(session, host, 200)
    clock.freeze(AFTER)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def sweep() -> None:
        barrier.wait()
        try:
            results.append(scheduler.sweep_timers(own_database, host, page=50, batch=20))
        except Exception as exc:  # reported below
            results.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert all(isinstance(r, scheduler.SweepResult) for r in results), results
    sweeps = [r for r in results if isinstance(r, scheduler.SweepResult)]
    assert sum(r.fired for r in sweeps) == 200
    assert all(r.failed == [] for r in sweeps)
    with own_database.transaction() as session:
        assert _fired_per_case(session) == Counter({case_id: 1 for case_id in started})
        assert _due_left(session) == 0
