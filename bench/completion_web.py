"""What one web completion costs: the SQL statements of a POST of the task form through
the whole Flask stack (issue 17, item 8: at most 12; 25–29 before), and the in-process
completion against the raw SpiffWorkflow cycle with and without the kept workflows
(engine.workflow_cache), measured in the same run.

The web completion is the reviewer's 审核 of a registered problem (approve, with the
responsible unit, measures and deadline), on the demo data, as the tests drive it."""

from __future__ import annotations

import re
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any

from sqlalchemy import event, select

from bench import round_trips
from bench.engine.measure import paired
from bench.engine.workload import BenchHost, Plan, deploy
from bench.round_trips import RoundTrips
from campaign import bootstrap, problems
from campaign.demo import DEMO_PASSWORD
from campaign.models import User
from campaign.workflow_host import CampaignHost
from core import clock, schema, sent_later
from core.config import Settings
from core.db import Database
from engine import workflow_cache
from engine.models import WorkItem
from web import create_app

Progress = Callable[[str], None]
TARGET_STATEMENTS = 12
TARGET_RATIO = 1.0
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")  # a savepoint is a round trip: counted
LATER = "(sent later) "
_ONCE = re.compile(r'name="once" value="([^"]+)"')
REGISTRATION = {
    "source": "self_inspection",
    "village": "QSZ01",
    "programme": "P11",
    "focus_item": "3.3",
    "stat_category": "S02",
    "description": "基准测试：村会计截留耕地地力保护补贴",
    "amount": "3600.00",
    "cards": "0",
    "households": "3",
    "persons": "7",
    "discovered_on": "2022-06-10",
}
APPROVAL = {
    "review_decision": "approve",
    "responsible_unit": "QSZ",
    "responsible_person": "李主任",
    "rectify_type": "deadline",
    "measures": "追回截留资金并足额发放",
    "deadline": "2022-07-15",
}


@contextmanager
def counting(database: Database) -> Iterator[list[str]]:
    """Every statement sent to the database meanwhile but the transaction's own begin and
    end, on both databases alike: PostgreSQL's driver sends BEGIN itself, unseen here, and
    SQLite's BEGIN IMMEDIATE (sent by core.db) is left out as well; COMMIT is sent by neither
    as a statement. Savepoints are counted."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, params: Any, context: Any, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            # Marked: a write sent with the next statement (core.sent_later), not waited for.
            statements.append(LATER + statement if sent_later.is_later(context) else statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


@dataclass(frozen=True)
class CompletionResult:
    database: str
    statements: list[int]  # per web completion
    waited: list[int]  # of those, the ones whose answer it waited for
    web_ms: list[float]
    raw_ms: float  # beside the completions with kept workflows, pair by pair
    cached_ms: float
    raw_beside_uncached_ms: float  # beside those restoring the state each time
    uncached_ms: float
    round_trips: RoundTrips  # what each of the web completion's statements waits at least

    def figures(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "web_completion_statements": max(self.statements),
            "web_completion_statements_waited": max(self.waited),
            "web_completion_ms": round(statistics.median(self.web_ms), 2),
            "raw_cycle_ms": round(self.raw_ms, 3),
            "complete_cached_ms": round(self.cached_ms, 3),
            "raw_cycle_beside_uncached_ms": round(self.raw_beside_uncached_ms, 3),
            "complete_uncached_ms": round(self.uncached_ms, 3),
            "ratio_cached": round(self.cached_ms / self.raw_ms, 2),
            "ratio_uncached": round(self.uncached_ms / self.raw_beside_uncached_ms, 2),
            "round_trip_ms": round(self.round_trips.back_to_back_ms, 3),
            "round_trip_after_work_ms": round(self.round_trips.after_work_ms, 3),
        }


def web_statements(
    database: Database, completions: int, progress: Progress
) -> tuple[list[int], list[int], list[float]]:
    """Statements (all, and those waited for) and milliseconds of each of `completions` web
    completions."""
    progress(f"[{database.dialect}] demo data, {completions} problems to review")
    clock.freeze(datetime(2022, 6, 15, 2, 0, tzinfo=UTC))
    try:
        with database.transaction() as session:
            bootstrap.initialise(session, with_demo=True, deployed_by="bench")
            officer = session.scalars(select(User).where(User.username == "qsz_jbr")).one()
            host = CampaignHost()
            cases = [
                problems.register(session, host, officer, "QSZ", REGISTRATION).case_id
                for _ in range(completions)
            ]
        with database.transaction() as session:
            items = list(
                session.scalars(
                    select(WorkItem.id)
                    .where(WorkItem.case_id.in_(cases), WorkItem.state == "open")
                    .order_by(WorkItem.id)
                )
            )
        with tempfile.TemporaryDirectory(prefix="ykt-bench-web-") as tmp:
            settings = Settings(
                instance_dir=Path(tmp),
                database_url=database.url,
                data_dir=Path(tmp) / "data",
                secret_key="bench-" + "k" * 32,
            )
            app = create_app(
                database=database, settings=settings, config={"WTF_CSRF_ENABLED": False}
            )
            client = app.test_client()
            login = {"username": "qsz_fzr", "password": DEMO_PASSWORD}
            if client.post("/login", data=login).status_code != 302:
                raise RuntimeError("the reviewer could not log in")
            counts, waited, times = [], [], []
            for item_id in items:
                page = client.get(f"/tasks/{item_id}").get_data(as_text=True)
                once = _ONCE.search(page)
                if once is None:
                    raise RuntimeError(f"no form on /tasks/{item_id}")
                with counting(database) as statements:
                    began = perf_counter()
                    answer = client.post(
                        f"/tasks/{item_id}", data={**APPROVAL, "once": once.group(1)}
                    )
                    times.append((perf_counter() - began) * 1000)
                if answer.status_code != 302:
                    raise RuntimeError(f"completion answered {answer.status_code}")
                counts.append(len(statements))
                waited.append(sum(not s.startswith(LATER) for s in statements))
    finally:
        clock.reset()
    return counts, waited, times


def engine_ratio(database: Database, completions: int, progress: Progress) -> dict[str, float]:
    """Medians (ms) of the raw cycle and our completion, measured in turn pair by pair
    (bench.engine.measure.paired), with kept workflows and then restoring the state each
    time (as before they were kept), after a warm-up of each."""
    host = BenchHost()
    deploy(database, host)
    plan = Plan.for_completions(completions)
    progress(f"[{database.dialect}] {completions} raw cycles and completions in turn, kept and not")
    paired(database, host, Plan.for_completions(50))
    raw, cached = paired(database, host, plan)
    size = workflow_cache.SIZE
    workflow_cache.SIZE = 0
    try:
        raw_beside, uncached = paired(database, host, plan)
    finally:
        workflow_cache.SIZE = size
    return {
        "raw_ms": raw.median_ms,
        "cached_ms": cached.median_ms,
        "raw_beside_uncached_ms": raw_beside.median_ms,
        "uncached_ms": uncached.median_ms,
    }


def measure(database: Database, completions: int, progress: Progress) -> CompletionResult:
    schema.upgrade(database)
    counts, waited, times = web_statements(database, 20, progress)
    return CompletionResult(
        database.dialect,
        counts,
        waited,
        times,
        **engine_ratio(database, completions, progress),
        round_trips=round_trips.measure(database),
    )


def lines(results: list[CompletionResult]) -> list[str]:
    out = []
    for r in results:
        most = max(r.statements)
        out += [
            f"  {r.database}:",
            f"    SQL statements of one web completion (most of {len(r.statements)})  "
            f"{most:4d}   target ≤ {TARGET_STATEMENTS}: "
            + ("met" if most <= TARGET_STATEMENTS else "MISSED"),
            f"    of them waited for (the rest go with the next one)  {max(r.waited):4d}",
            f"    web completion through Flask, median               "
            f"{statistics.median(r.web_ms):7.2f} ms",
            f"    ({r.round_trips.line()})",
            "    in turn with the raw SpiffWorkflow cycle, pair by pair, medians:",
            f"    our completion, workflows kept     {r.cached_ms:6.2f} ms, raw {r.raw_ms:6.2f} ms"
            f"  ratio {r.cached_ms / r.raw_ms:.2f}   target ≤ {TARGET_RATIO:g}: "
            + ("met" if r.cached_ms <= r.raw_ms * TARGET_RATIO else "MISSED"),
            f"    our completion, restored each time {r.uncached_ms:6.2f} ms, raw "
            f"{r.raw_beside_uncached_ms:6.2f} ms  ratio "
            f"{r.uncached_ms / r.raw_beside_uncached_ms:.2f}   (as before)",
        ]
    return out
