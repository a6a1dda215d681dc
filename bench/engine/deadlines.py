"""A day of deadlines: many cases whose deadline timers all fall due at once, and the time the
scheduler takes to fire them all (issue 17, item 4: 20,000 within 60 s).

Each case waits on a user task with a non-interrupting boundary timer whose branch runs a
script (overdue = True), as the campaign's 整改时限届满 and 报送期限届满 do. One case is
started through the engine; the others are copies of its rows (case, work item, timer), so
that loading 20,000 takes seconds: their states are the same workflow, which SpiffWorkflow
runs the same way in every case. In the same run, the way it was before is measured on its
own cases: one case per transaction, at most 500 cases a tick (SWEEP_BATCH then)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter, process_time
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bench.engine.workload import ACTOR, BENCH_UNIT, BenchHost
from core import clock
from core.db import Database
from engine import cases, definitions, scheduler
from engine.host import CaseContext
from engine.models import Case, Timer, WorkItem
from engine.runner import in_transaction

DIAGRAM = Path(__file__).with_name("deadline.bpmn")
PROCESS_ID = "ykt_bench_deadline"
BEFORE = datetime(2026, 6, 1, tzinfo=UTC)
AFTER = datetime(2026, 6, 2, tzinfo=UTC)  # past every deadline (2026-06-01 23:59:59 +08:00)
TARGET_SECONDS = 60.0
OLD_PER_TICK = 500  # what one tick fired before, one case per transaction
TICK_SECONDS = scheduler.TICK_SECONDS
CHUNK = 5_000


@dataclass(frozen=True)
class DeadlineResult:
    database: str
    cases: int
    seconds: float  # wall time of the sweep that fired them all
    cpu_seconds: float  # this process's CPU time over it (the machine may be shared)
    fired: int
    left: int  # due timers left after the sweep (0 when all were fired)
    baseline_cases: int
    baseline_seconds: float  # the same work one case per transaction

    @property
    def per_case_ms(self) -> float:
        return self.seconds / self.cases * 1000

    @property
    def baseline_per_case_ms(self) -> float:
        return self.baseline_seconds / self.baseline_cases * 1000

    @property
    def baseline_projected_seconds(self) -> float:
        """The old sweep on the same cases: 500 a tick, a tick every 30 s, one case per
        transaction at the baseline's rate."""
        ticks = math.ceil(self.cases / OLD_PER_TICK)
        return (ticks - 1) * TICK_SECONDS + self.baseline_per_case_ms * OLD_PER_TICK / 1000

    def figures(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "cases": self.cases,
            "fire_all_s": round(self.seconds, 2),
            "fire_all_cpu_s": round(self.cpu_seconds, 2),
            "per_case_ms": round(self.per_case_ms, 3),
            "left": self.left,
            "baseline_per_case_ms": round(self.baseline_per_case_ms, 3),
            "baseline_projected_s": round(self.baseline_projected_seconds, 1),
            "target_s": TARGET_SECONDS,
        }


def _deploy(database: Database, host: BenchHost) -> None:
    with database.transaction() as session:
        definitions.deploy(session, DIAGRAM.read_text(encoding="utf-8"), host, deployed_by="bench")


def _start_one(session: Session, host: BenchHost) -> Case:
    return cases.start_case(
        session,
        host,
        PROCESS_ID,
        data={"deadline": "2026-06-01"},
        context=CaseContext(owning_unit_id=BENCH_UNIT, subject_type="bench"),
        actor=ACTOR,
    )


def _copies(database: Database, host: BenchHost, count: int) -> None:
    """`count` cases waiting on their deadline: one started, the rest its rows copied."""
    clock.freeze(BEFORE)
    with database.transaction() as session:
        model = _start_one(session, host)
        item = session.scalars(select(WorkItem).where(WorkItem.case_id == model.id)).one()
        timer = session.scalars(select(Timer).where(Timer.case_id == model.id)).one()
        first = model.id + 1
        case_row = {c.key: getattr(model, c.key) for c in Case.__table__.columns if c.key != "id"}
        item_row = {
            c.key: getattr(item, c.key)
            for c in WorkItem.__table__.columns
            if c.key not in ("id", "case_id")
        }
        timer_row = {
            c.key: getattr(timer, c.key)
            for c in Timer.__table__.columns
            if c.key not in ("id", "case_id")
        }
        for start in range(0, count - 1, CHUNK):
            ids = range(first + start, first + min(start + CHUNK, count - 1))
            session.execute(insert(Case), [{"id": i, **case_row} for i in ids])
            session.execute(insert(WorkItem), [{"case_id": i, **item_row} for i in ids])
            session.execute(insert(Timer), [{"case_id": i, **timer_row} for i in ids])
    if database.dialect == "postgresql":  # ids were given: the sequence moves past them
        with database.transaction() as session:
            session.execute(
                select(
                    func.setval(
                        func.pg_get_serial_sequence("case_instance", "id"),
                        select(func.max(Case.id)).scalar_subquery(),
                    )
                )
            )


def _due_ids(database: Database) -> list[int]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(Timer.case_id).where(Timer.due_at <= clock.now()).order_by(Timer.case_id)
            )
        )


def measure(database: Database, count: int, baseline: int, progress: Any) -> DeadlineResult:
    """Fire `count` due deadlines with the scheduler's sweep; `baseline` more one case per
    transaction (the old way) on cases of their own, measured first."""
    host = BenchHost()
    _deploy(database, host)
    label = database.dialect
    progress(f"[{label}] {baseline:,} deadlines for the one-case-per-transaction baseline")
    _copies(database, host, baseline)
    clock.freeze(AFTER)
    due = _due_ids(database)
    began = perf_counter()
    for case_id in due:
        in_transaction(database, host, cases.fire_due_timers, case_id)
    baseline_seconds = perf_counter() - began
    progress(f"[{label}] {count:,} deadlines falling due at once")
    _copies(database, host, count)
    clock.freeze(AFTER)
    progress(f"[{label}] sweeping")
    began, cpu = perf_counter(), process_time()
    # One sweep with no time budget: the figure is the time to fire them all.
    result = scheduler.sweep_timers(database, host, budget=float("inf"))
    seconds, cpu_seconds = perf_counter() - began, process_time() - cpu
    with database.transaction() as session:
        left = session.scalar(select(func.count()).select_from(Timer)) or 0
    clock.reset()
    return DeadlineResult(
        label, count, seconds, cpu_seconds, result.fired, left, len(due), baseline_seconds
    )


def lines(results: list[DeadlineResult]) -> list[str]:
    out = []
    for r in results:
        verdict = "met" if r.seconds <= TARGET_SECONDS and r.left == 0 else "MISSED"
        out += [
            f"  {r.database}: {r.cases:,} deadlines due at once",
            f"    fired by one sweep in {r.seconds:8.1f} s  (CPU {r.cpu_seconds:.1f} s, "
            f"{r.per_case_ms:.2f} ms a case, {r.left} left)  target ≤ {TARGET_SECONDS:g} s: "
            f"{verdict}",
            f"    before: one case per transaction {r.baseline_per_case_ms:.2f} ms a case "
            f"(measured on {r.baseline_cases:,}); 500 a tick every {TICK_SECONDS} s → "
            f"{r.baseline_projected_seconds / 60:.1f} min for {r.cases:,}",
        ]
    return out
