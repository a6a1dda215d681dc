"""The inbox workload: many work items loaded in bulk, then the first page of one unit and
role asked for again and again, as people opening their inbox would."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import insert, select, text

from core import clock
from core.db import Base, Database
from engine import spiff, workitems
from engine.models import Case, CaseStatus, WorkItemState

Progress = Callable[[str], None]

ROLES = ("officer", "reviewer")
FIRST_UNIT = 1001  # apart from the unit the completion benchmark uses
ITEMS_PER_CASE = 100
BATCH = 20_000
WORK_ITEM = Base.metadata.tables["work_item"]
COLUMNS = (
    "case_id",
    "task_guid",
    "bpmn_id",
    "title",
    "form_key",
    "lane",
    "unit_id",
    "role",
    "state",
    "due_at",
    "claimed_by",
    "created_at",
    "completed_by",
    "completed_at",
)


@dataclass(frozen=True)
class InboxSize:
    total: int
    open: int
    units: int

    def __post_init__(self) -> None:
        if not 0 < self.open <= self.total or self.units < 1:
            raise ValueError("need 0 < open ≤ total and at least one unit")


def _case_rows(count: int, units: int, definition_id: int, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "definition_id": definition_id,
            "status": CaseStatus.RUNNING.value,
            "state": "{}",  # never loaded: only the inbox query reads these cases' items
            "serializer_version": spiff.SERIALIZER_VERSION,
            "lock_version": 1,
            "owning_unit_id": FIRST_UNIT + i % units,
            "subject_type": "bench_inbox",
            "error_message": "",
            "started_by": "bench",
            "started_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]


def _item_rows(
    size: InboxSize, case_ids: list[int], seed: int, now: datetime
) -> Iterator[tuple[Any, ...]]:
    """Rows in COLUMNS order: open and closed items interleaved as years of work leave them,
    each case's items next to each other."""
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not a secret)
    open_rows = set(rng.sample(range(size.total), size.open))
    day = 86_400.0
    for i in range(size.total):
        is_open = i in open_rows
        created = now - timedelta(seconds=rng.uniform(0, 365 * day))
        # One in ten tasks has no deadline; the rest fall due within three months either way.
        due = None if rng.random() < 0.1 else now + timedelta(seconds=rng.uniform(-90, 90) * day)
        closed = None if is_open else created + timedelta(seconds=rng.uniform(60, 30 * day))
        if is_open:
            state = WorkItemState.OPEN.value
        elif rng.random() < 0.95:
            state = WorkItemState.COMPLETED.value
        else:
            state = WorkItemState.CANCELLED.value
        yield (
            case_ids[i * len(case_ids) // size.total],
            str(uuid.UUID(int=rng.getrandbits(128))),
            "handle",
            "办理",
            "handle",
            "经办人",
            FIRST_UNIT + rng.randrange(size.units),
            rng.choice(ROLES),
            state,
            due,
            None,
            created,
            None if is_open else 1,
            closed,
        )


def _batches(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def load(
    database: Database, definition_id: int, size: InboxSize, progress: Progress, seed: int = 7
) -> None:
    """Insert the cases and work items in large batches (COPY on PostgreSQL), then ANALYZE."""
    now = clock.now()
    started = perf_counter()
    with database.engine.begin() as conn:
        case_count = max(1, size.total // ITEMS_PER_CASE)
        conn.execute(insert(Case), _case_rows(case_count, size.units, definition_id, now))
        case_ids = list(
            conn.scalars(
                select(Case.id).where(Case.subject_type == "bench_inbox").order_by(Case.id)
            )
        )
    indexes = sorted(WORK_ITEM.indexes, key=lambda index: str(index.name))
    with database.engine.begin() as conn:
        # Filling a table and then indexing it sorts once, instead of inserting a million
        # random keys into each index; the indexes come back exactly as the models define them.
        for index in indexes:
            index.drop(conn)
    done = 0
    with database.engine.connect() as conn:
        for batch in _batches(_item_rows(size, case_ids, seed, now)):
            with conn.begin():
                if database.dialect == "postgresql":
                    _copy(conn.connection.driver_connection, batch)
                else:
                    conn.execute(
                        insert(WORK_ITEM), [dict(zip(COLUMNS, r, strict=True)) for r in batch]
                    )
            done += len(batch)
            if done % (BATCH * 10) == 0 or done == size.total:
                elapsed = perf_counter() - started
                progress(f"  {done:>9,} / {size.total:,} work items ({elapsed:.0f} s)")
    progress("  building the work item indexes")
    with database.engine.begin() as conn:
        for index in indexes:
            index.create(conn)
    _analyze(database)
    progress(f"  loaded and analysed in {perf_counter() - started:.1f} s")


def _copy(driver_connection: Any, batch: list[tuple[Any, ...]]) -> None:
    utc_naive = [
        tuple(v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v for v in row)
        for row in batch
    ]
    with (
        driver_connection.cursor() as cursor,
        cursor.copy(f"COPY work_item ({', '.join(COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in utc_naive:
            copy.write_row(row)


def _analyze(database: Database) -> None:
    if database.dialect == "postgresql":
        # A steady-state table has its visibility map set by autovacuum, which lets the inbox
        # read from the index alone; VACUUM does now what autovacuum would do later.
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) work_item"))
            conn.execute(text("ANALYZE case_instance"))
    else:
        with database.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def query_times(
    database: Database, size: InboxSize, queries: int, seed: int = 11, warmup: int = 20
) -> list[float]:
    """Seconds per first-page query, for random (unit, role) pairs, in one session."""
    rng = random.Random(seed)  # noqa: S311 (reproducible choice of inboxes)
    pairs = [
        (FIRST_UNIT + rng.randrange(size.units), rng.choice(ROLES)) for _ in range(warmup + queries)
    ]
    times: list[float] = []
    with database.transaction() as session:
        for n, (unit_id, role) in enumerate(pairs):
            started = perf_counter()
            workitems.first_page_ids(session, unit_id, role)
            elapsed = perf_counter() - started
            if n >= warmup:
                times.append(elapsed)
    return times
