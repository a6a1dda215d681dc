"""One benchmark run: the raw SpiffWorkflow cycle, then on each database (a SQLite file, and
PostgreSQL when a server is given) the bulk-loaded inbox and our completion transaction."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.databases import throwaway_postgresql
from bench.engine import inbox
from bench.engine.inbox import InboxSize, Progress
from bench.engine.measure import Timings, our_completions, percentile_ms, raw_cycles
from bench.engine.workload import BenchHost, Plan, deploy
from core import schema
from core.db import Database, DatabaseUnavailable


@dataclass(frozen=True)
class Sizes:
    total: int = 1_000_000
    open: int = 200_000
    units: int = 500
    completions: int = 400
    warmup: int = 50
    queries: int = 500

    @property
    def inbox(self) -> InboxSize:
        return InboxSize(self.total, self.open, self.units)


# A further measurement on the loaded database, supplied by a layer above the engine (the
# inbox page through the web stack): returns seconds per request.
Extra = Callable[[Database, InboxSize, Progress], list[float]]


@dataclass(frozen=True)
class DatabaseResult:
    version: str
    completions: Timings
    inbox: list[float]
    extra: list[float] = field(default_factory=list)

    @property
    def inbox_p95_ms(self) -> float:
        return percentile_ms(self.inbox, 0.95)

    @property
    def extra_p95_ms(self) -> float | None:
        return percentile_ms(self.extra, 0.95) if self.extra else None


@dataclass
class Result:
    sizes: Sizes
    raw: Timings
    sqlite: DatabaseResult
    postgresql: DatabaseResult | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.sqlite.completions.median_ms / self.raw.median_ms

    def figures(self) -> dict[str, float | None]:
        """The seven figures issue 3 asks for, under its key names."""
        pg = self.postgresql
        return {
            "raw_cycle_ms": round(self.raw.median_ms, 3),
            "complete_sqlite_ms": round(self.sqlite.completions.median_ms, 3),
            "complete_postgresql_ms": round(pg.completions.median_ms, 3) if pg else None,
            "completions_per_s": round(self.sqlite.completions.per_second, 1),
            "ratio": round(self.ratio, 2),
            "inbox_p95_sqlite_ms": round(self.sqlite.inbox_p95_ms, 3),
            "inbox_p95_postgresql_ms": round(pg.inbox_p95_ms, 3) if pg else None,
        } | self._page_figures()

    def _page_figures(self) -> dict[str, float | None]:
        """The inbox page through the web stack, when the caller measured it (issue 5)."""
        sqlite_page = self.sqlite.extra_p95_ms
        if sqlite_page is None:
            return {}
        pg_page = self.postgresql.extra_p95_ms if self.postgresql else None
        return {
            "inbox_page_p95_sqlite_ms": round(sqlite_page, 2),
            "inbox_page_p95_postgresql_ms": round(pg_page, 2) if pg_page else None,
        }


def measure_database(
    database: Database, sizes: Sizes, progress: Progress, extra: Extra | None = None
) -> DatabaseResult:
    label = database.dialect
    progress(f"[{label}] creating the schema")
    schema.upgrade(database)
    with database.engine.connect() as conn:
        version = ".".join(str(part) for part in conn.dialect.server_version_info or ())
    host = BenchHost()
    definition_id = deploy(database, host)
    progress(f"[{label}] loading {sizes.total:,} work items ({sizes.open:,} open)")
    inbox.load(database, definition_id, sizes.inbox, progress)
    progress(f"[{label}] timing {sizes.queries} inbox queries")
    inbox_times = inbox.query_times(database, sizes.inbox, sizes.queries)
    extra_times = extra(database, sizes.inbox, progress) if extra else []
    progress(f"[{label}] timing {sizes.completions} completions after {sizes.warmup} warm-up")
    if sizes.warmup:
        our_completions(database, host, Plan.for_completions(sizes.warmup))
    completions = our_completions(database, host, Plan.for_completions(sizes.completions))
    return DatabaseResult(version, completions, inbox_times, extra_times)


def run(
    sizes: Sizes,
    postgresql_url: str | None,
    progress: Progress,
    workdir: Path | None = None,
    extra: Extra | None = None,
) -> Result:
    progress(f"[raw] {sizes.completions} SpiffWorkflow cycles after {sizes.warmup} warm-up")
    if sizes.warmup:
        raw_cycles(Plan.for_completions(sizes.warmup))
    raw = raw_cycles(Plan.for_completions(sizes.completions))
    with tempfile.TemporaryDirectory(prefix="ykt-bench-", dir=workdir) as tmp:
        sqlite = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        try:
            sqlite_result = measure_database(sqlite, sizes, progress, extra)
        finally:
            sqlite.dispose()
    result = Result(sizes, raw, sqlite_result)
    if not postgresql_url:
        result.notes.append("PostgreSQL skipped: no server given (--postgresql-url)")
    else:
        try:
            with throwaway_postgresql(postgresql_url) as postgresql:
                result.postgresql = measure_database(postgresql, sizes, progress, extra)
        except DatabaseUnavailable as exc:
            result.notes.append(f"PostgreSQL skipped: {exc}")
    for note in result.notes:
        progress(note)
    return result
