"""The benchmark's ledger import, with another writer beside it: how long the writer's
transactions wait while the import runs (the longest wait, and how many gave up at the
busy timeout with "database is locked").

The writer commits a small transaction every 0.1 s, as a request completing a task would:
an audit record, linked into the audit chain like every request's. The import runs as the
web form and `ykt import-ledger` run it (campaign.ledger_staged); with `YKT_BENCH_IMPORT_LOCKED=1`
it runs as before that, in one write transaction begun before the sheet is read (the
request's), for the figure to compare with."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from campaign import audit
from campaign.ledger_import import ImportResult, Progress, import_ledger
from campaign.ledger_staged import import_staged
from campaign.models import User
from campaign.workflow_host import CampaignHost
from core.db import Database

LOCKED_ENV = "YKT_BENCH_IMPORT_LOCKED"
PAUSE_S = 0.1  # between the writer's transactions


class Writer:
    """Commits an audit record every PAUSE_S on a thread of its own until stopped."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.waits: list[float] = []
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-writer", daemon=True)

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            asked = time.monotonic()
            try:
                with self.database.transaction() as session:
                    audit.record(session, "bench.concurrent_write", target="bench")
            except OperationalError:  # "database is locked" after the busy timeout
                self.failed += 1
            self.waits.append(time.monotonic() - asked)
            self._stop.wait(PAUSE_S)

    def figures(self) -> dict[str, Any]:
        return {
            "writes": len(self.waits),
            "failed": self.failed,
            "longest_wait_s": round(max(self.waits, default=0.0), 2),
        }


def import_beside_a_writer(
    database: Database, path: Path, username: str, progress: Progress
) -> tuple[ImportResult, dict[str, Any]]:
    """Import the sheet as `username` while a writer writes; the result and the writer's
    figures (with `locked`: whether the import ran in one write transaction)."""
    locked = os.environ.get(LOCKED_ENV) == "1"
    with database.reading() as session:
        user_id = session.scalars(select(User.id).where(User.username == username)).one()
    with Writer(database) as writer:
        if locked:
            with database.transaction() as session:
                office = session.get_one(User, user_id)  # takes the lock, as a request does
                result = import_ledger(session, CampaignHost(), office, path, progress=progress)
        else:
            result = import_staged(database, CampaignHost(), user_id, path, progress=progress)
    return result, {**writer.figures(), "locked": locked}
