"""The scheduler: fires due timers and runs recurring jobs, in exactly one process at a time.

Any number of processes may run a Scheduler (web workers, `ykt worker`); each tick first
takes or renews a lease row in the database with one conditional UPDATE, and only the
holder works. A holder that dies simply stops renewing; another takes over when the lease
expires. Each case is fired in its own transaction, and the case row lock plus the
optimistic version check mean that even two sweeps at once fire a timer only once."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock
from core.db import Database
from engine import cases
from engine.errors import CaseFailed, TaskConflict
from engine.host import EngineHost
from engine.models import SchedulerLease, Timer
from engine.runner import in_transaction

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_TTL = timedelta(seconds=90)
TICK_SECONDS = 30
SWEEP_BATCH = 500


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
    failed: list[int] = field(default_factory=list)
    busy: list[int] = field(default_factory=list)


def due_case_ids(session: Session, limit: int = SWEEP_BATCH) -> list[int]:
    rows = session.scalars(
        select(Timer.case_id)
        .where(Timer.due_at <= clock.now())
        .group_by(Timer.case_id)
        .order_by(Timer.case_id)
        .limit(limit)
    )
    return list(rows)


def sweep_timers(
    database: Database, host: EngineHost, stopping: threading.Event | None = None
) -> SweepResult:
    """Fire every due timer, one case per transaction; when `stopping` is set, stop after
    the case at hand (the rest are still due for the next scheduler)."""
    result = SweepResult()
    with database.transaction() as session:
        due = due_case_ids(session)
    for case_id in due:
        if stopping is not None and stopping.is_set():
            break
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
    return result


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

    def tick(self) -> SweepResult | None:
        """One round; None when another process holds the lease."""
        with self._lock:
            with self.database.transaction() as session:
                if not acquire_lease(session, self.holder):
                    return None
            result = sweep_timers(self.database, self.host, self._stopping)
            for job in self.jobs:
                if self._stopping.is_set():
                    break
                try:
                    job(self.database)
                except Exception:  # one failing job must not stop timers or the other jobs
                    log.exception("scheduled job %r failed", job)
            return result

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
