"""A day of deadlines: many cases whose deadline timers all fall due at once, and the time the
scheduler takes to mark them all (issue 17, item 4: 20,000 within 60 s).

Each case waits on a user task with a non-interrupting boundary timer that leads straight to
an end event, as the campaign's 整改时限届满 and 报送期限届满 do: a deadline mark
(engine.deadline_marks). One case is started through the engine; the others are copies of
its rows (case, work item, timer), so that loading 20,000 takes seconds: their states are
the same workflow, which SpiffWorkflow runs the same way in every case. In the same run, the
ways before are measured on cases of their own: the sweep running every case through
SpiffWorkflow (100 a transaction, as before deadline marks), and one case per transaction
with at most 500 cases a tick (before that)."""

from __future__ import annotations

import math
import os
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
from engine.models import Case, CaseEvent, Timer, WorkItem
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
class Sweep:
    """One sweep over its own due cases: wall and CPU time, and what it left."""

    cases: int
    seconds: float
    cpu_seconds: float
    left: int  # due timers neither fired nor marked afterwards
    recorded: int  # "timer_fired" entries in the history of those cases

    @property
    def per_case_ms(self) -> float:
        return self.seconds / self.cases * 1000

    def projected(self, cases: int) -> float:
        """The same sweep on `cases` cases at this one's rate (sweeps go page by page)."""
        return self.seconds / self.cases * cases


@dataclass(frozen=True)
class DeadlineResult:
    database: str
    cases: int
    now: Sweep  # the sweep as it is: deadline marks recorded set-based
    engine: Sweep  # the sweep before deadline marks: every case run through SpiffWorkflow
    baseline_cases: int
    baseline_seconds: float  # the same work one case per transaction, as before that
    load: tuple[float, float]  # the machine's 1-minute load average before and after

    @property
    def met(self) -> bool:
        return self.now.seconds <= TARGET_SECONDS and self.now.left == 0 and self.exactly_once

    @property
    def exactly_once(self) -> bool:
        return self.now.recorded == self.cases and self.engine.recorded == self.engine.cases

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
            "fire_all_s": round(self.now.seconds, 3),
            "fire_all_cpu_s": round(self.now.cpu_seconds, 3),
            "per_case_ms": round(self.now.per_case_ms, 3),
            "left": self.now.left,
            "exactly_once": self.exactly_once,
            "engine_cases": self.engine.cases,
            "engine_per_case_ms": round(self.engine.per_case_ms, 3),
            "engine_cpu_s": round(self.engine.cpu_seconds, 2),
            "engine_projected_s": round(self.engine.projected(self.cases), 3),
            "baseline_per_case_ms": round(self.baseline_per_case_ms, 3),
            "baseline_projected_s": round(self.baseline_projected_seconds, 1),
            "load_before": self.load[0],
            "load_after": self.load[1],
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


def _copies(database: Database, host: BenchHost, count: int, *, marks: bool = True) -> range:
    """`count` cases waiting on their deadline: one started, the rest its rows copied; their
    ids. Without `marks`, their timers are not deadline marks: the sweep runs every case
    through SpiffWorkflow, as it did before marks."""
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
        timer.marks_only = timer_row["marks_only"] = timer_row["marks_only"] and marks
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
    return range(model.id, model.id + count)


def _due_ids(database: Database) -> list[int]:
    with database.transaction() as session:
        return list(
            session.scalars(
                select(Timer.case_id).where(Timer.due_at <= clock.now()).order_by(Timer.case_id)
            )
        )


def _sweep(database: Database, host: BenchHost, ids: range) -> Sweep:
    """One sweep with no time budget over these cases, the only ones due."""
    clock.freeze(AFTER)
    began, cpu = perf_counter(), process_time()
    scheduler.sweep_timers(database, host, budget=float("inf"))
    seconds, cpu_seconds = perf_counter() - began, process_time() - cpu
    theirs = (ids.start, ids.stop - 1)
    with database.transaction() as session:
        left = session.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.case_id.between(*theirs), Timer.marked_at.is_(None))
        )
        recorded = session.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.case_id.between(*theirs), CaseEvent.kind == "timer_fired")
        )
    return Sweep(len(ids), seconds, cpu_seconds, left or 0, recorded or 0)


def measure(
    database: Database, count: int, baseline: int, engine_cases: int, progress: Any
) -> DeadlineResult:
    """Fire `count` due deadlines with the scheduler's sweep; in the same run, first
    `engine_cases` more through SpiffWorkflow as the sweep did before deadline marks, and
    `baseline` more one case per transaction (before that), each on cases of their own."""
    host = BenchHost()
    load_before = os.getloadavg()[0]
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
    progress(f"[{label}] {engine_cases:,} deadlines swept through the engine (before marks)")
    engine = _sweep(database, host, _copies(database, host, engine_cases, marks=False))
    progress(f"[{label}] {count:,} deadlines falling due at once, swept")
    now = _sweep(database, host, _copies(database, host, count))
    clock.reset()
    load = (round(load_before, 2), round(os.getloadavg()[0], 2))
    return DeadlineResult(label, count, now, engine, len(due), baseline_seconds, load)


def lines(results: list[DeadlineResult]) -> list[str]:
    out = []
    for r in results:
        now, engine = r.now, r.engine
        out += [
            f"  {r.database}: {r.cases:,} deadlines due at once "
            f"(load average {r.load[0]:g} before, {r.load[1]:g} after)",
            f"    marked by one sweep in {now.seconds:8.1f} s  (CPU {now.cpu_seconds:.1f} s, "
            f"{now.per_case_ms:.3f} ms a case, {now.left} left, {now.recorded:,} in the "
            f"history)  target ≤ {TARGET_SECONDS:g} s: {'met' if r.met else 'MISSED'}",
            f"    before marks, each case through the engine: {engine.per_case_ms:.2f} ms a case "
            f"(CPU {engine.cpu_seconds / engine.cases * 1000:.2f} ms; measured on "
            f"{engine.cases:,}) → {engine.projected(r.cases):.1f} s for {r.cases:,}, "
            f"{engine.seconds / max(now.seconds, 1e-9) * r.cases / engine.cases:.0f}× the sweep",
            f"    before that: one case per transaction {r.baseline_per_case_ms:.2f} ms a case "
            f"(measured on {r.baseline_cases:,}); 500 a tick every {TICK_SECONDS} s → "
            f"{r.baseline_projected_seconds / 60:.1f} min for {r.cases:,}",
        ]
    return out
