"""The scheduler: fires due timers and runs recurring jobs, in exactly one process at a time.

Any number of processes may run a Scheduler (web workers, `ykt worker`); each tick first
takes or renews a lease row in the database with one conditional UPDATE, and only the
holder works. A holder that dies simply stops renewing; another takes over when the lease
expires. A sweep first records the due deadline marks without running their cases
(engine.deadline_marks), then fires the other due timers through SpiffWorkflow a batch of
cases per transaction; the case row lock (plus the optimistic version check) means that even
two sweeps at once fire or mark a timer only once."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import ColumnElement, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock
from core.db import Database
from engine import cases, deadline_marks, timer_batch
from engine.errors import CaseFailed, TaskConflict
from engine.host import EngineHost
from engine.models import Case, SchedulerLease, Timer
from engine.runner import in_transaction

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_TTL = timedelta(seconds=90)
TICK_SECONDS = 30
SWEEP_BATCH = 500  # due cases read per query
FIRE_BATCH = 100  # cases fired per transaction (SQLite's write lock is held that long)
# A tick sweeps at most this long, then runs the jobs; the next tick sweeps what is left.
SWEEP_SECONDS = 120.0


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire_lease(
    session: Session, holder: str, *, name: str = LEASE_NAME, ttl: timedelta = LEASE_TTL
) -> bool:
    """Take or renew the lease; True when this holder has it until now + ttl."""
    now = clock.now()
    taken = session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now),
        )
        .values(holder=holder, expires_at=now + ttl)
    )
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return True
    if session.get(SchedulerLease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
    except IntegrityError:  # another process created it first
        return False
    return True


def release_lease(session: Session, holder: str, *, name: str = LEASE_NAME) -> None:
    session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(expires_at=clock.now())
    )


@dataclass
class SweepResult:
    fired: int = 0
    marked: int = 0  # deadline marks recorded without the engine (engine.deadline_marks)
    failed: list[int] = field(default_factory=list)
    busy: list[int] = field(default_factory=list)
    # Stopped by its time budget (or a lost lease) with due cases left for the next tick.
    unfinished: bool = False


def due_case_ids(
    session: Session,
    limit: int = SWEEP_BATCH,
    *,
    after: int = 0,
    only: ColumnElement[bool] | None = None,
) -> list[int]:
    """Cases with a due timer, by id, from the one after `after` (keyset paging); a deadline
    mark already marked waits for the case's next run. `only`: a condition on Case (the
    host's timers_fire_for)."""
    query = select(Timer.case_id).where(
        Timer.due_at <= clock.now(), Timer.marked_at.is_(None), Timer.case_id > after
    )
    if only is not None:  # looked up for the due timers' cases only
        own_case = select(Case.id).where(Case.id == Timer.case_id, only).correlate(Timer)
        query = query.where(exists(own_case))
    rows = session.scalars(query.group_by(Timer.case_id).order_by(Timer.case_id).limit(limit))
    return list(rows)


def _fire_one(database: Database, host: EngineHost, case_id: int, result: SweepResult) -> None:
    try:
        result.fired += in_transaction(database, host, cases.fire_due_timers, case_id)
    except CaseFailed as failure:  # marked in error by the runner
        log.warning("case %s failed while firing timers: %s", case_id, failure.message)
        result.failed.append(case_id)
    except TaskConflict:  # someone was completing a task of this case: next tick
        result.busy.append(case_id)
    except Exception:  # e.g. the database failed for this case: the others still fire
        log.exception("case %s could not fire its timers", case_id)
        result.failed.append(case_id)


def _fire_batch(
    database: Database, host: EngineHost, case_ids: list[int], result: SweepResult
) -> None:
    """The cases together in one transaction; the ones the batch leaves, and all of them
    when the batch as a whole fails, one by one."""
    left = case_ids
    try:
        with database.transaction() as session:
            outcome = timer_batch.fire_together(session, host, case_ids)
        result.fired += outcome.fired
        left = outcome.left
    except Exception:  # rolled back: the one-case path tells which case, if any, is at fault
        log.warning("a batch of %d cases fell back to one case at a time", len(case_ids))
    for case_id in sorted(left):
        _fire_one(database, host, case_id, result)


def _mark_deadlines(database: Database, result: SweepResult, stopping: Callable[[], bool]) -> bool:
    """First the deadline marks, set-based, `MARK_BATCH` cases a transaction; True when the
    sweep must stop. Nothing here runs a case, so no case can fail it."""
    after, now = 0, clock.now()
    while not stopping():
        with database.transaction() as session:
            due = deadline_marks.due_case_ids(session, now, deadline_marks.MARK_BATCH, after=after)
            result.marked += deadline_marks.mark_due(session, now, due) if due else 0
        if len(due) < deadline_marks.MARK_BATCH:
            return False
        after = due[-1]
    return True


def sweep_timers(
    database: Database,
    host: EngineHost,
    *,
    page: int | None = None,
    batch: int | None = None,
    budget: float | None = None,
    keep_going: Callable[[], bool] | None = None,
) -> SweepResult:
    """Fire every due timer: due cases are read `page` at a time and fired `batch` per
    transaction, until none is left, the time budget (seconds) is spent, or `keep_going`
    says no (the lease is lost). Each case is looked at once per sweep, even one that
    failed or was busy: those wait for the next tick."""
    page, batch = page or SWEEP_BATCH, batch or FIRE_BATCH
    result = SweepResult()
    stop_at = time.monotonic() + (SWEEP_SECONDS if budget is None else budget)

    def stopping() -> bool:
        result.unfinished = time.monotonic() >= stop_at or (
            keep_going is not None and not keep_going()
        )
        return result.unfinished

    if _mark_deadlines(database, result, stopping):
        return result
    after = 0
    while True:
        with database.reading() as session:
            due = due_case_ids(session, page, after=after, only=host.timers_fire_for(session))
        for start in range(0, len(due), batch):
            if stopping():
                return result
            _fire_batch(database, host, due[start : start + batch], result)
        if len(due) < page:
            return result
        after = due[-1]


Job = Callable[[Database], object]


class Scheduler:
    """Ticks every `interval` seconds: renew the lease, then sweep timers and run the jobs."""

    def __init__(
        self,
        database: Database,
        host: EngineHost,
        *,
        holder: str | None = None,
        interval: int = TICK_SECONDS,
        jobs: Sequence[Job] | None = None,
    ) -> None:
        self.database = database
        self.host = host
        self.holder = holder or default_holder()
        self.interval = interval
        self.jobs = list(jobs or [])
        self._background: BackgroundScheduler | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._renewed = 0.0

    def tick(self) -> SweepResult | None:
        """One round; None when another process holds the lease."""
        with self._lock:
            with self.database.transaction() as session:
                if not acquire_lease(session, self.holder):
                    return None
            self._renewed = time.monotonic()
            result = sweep_timers(self.database, self.host, keep_going=self._keep_going)
            for job in self.jobs:
                if self._stopping.is_set():
                    break
                try:
                    job(self.database)
                except Exception:  # one failing job must not stop timers or the other jobs
                    log.exception("scheduled job %r failed", job)
            return result

    def _keep_going(self) -> bool:
        """Whether a long sweep goes on: not once stopping (it ends after the batch at
        hand, the rest still due for the next scheduler), nor when the lease is lost."""
        return not self._stopping.is_set() and self._renew()

    def _renew(self) -> bool:
        """Keep the lease through a long sweep: renewed when a third of it has passed."""
        if time.monotonic() - self._renewed < LEASE_TTL.total_seconds() / 3:
            return True
        with self.database.transaction() as session:
            held = acquire_lease(session, self.holder)
        self._renewed = time.monotonic()
        return held

    def start(self) -> None:
        scheduler = BackgroundScheduler(timezone="UTC")
        # A stable id and max_instances=1: re-registering never doubles the tick.
        # APScheduler runs on the wall clock; business time (clock.now) may be moved by tests.
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.interval,
            id="ykt-tick",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()
        self._background = scheduler

    def stop(self) -> None:
        """Stop ticking and give the lease up at once, so that another process takes over
        on its next tick instead of waiting for the lease to expire. A tick under way ends
        after the case it is firing. Calling it again does nothing."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._background is not None:
            self._background.shutdown(wait=True)
            self._background = None
        with self._lock, self.database.transaction() as session:
            release_lease(session, self.holder)
