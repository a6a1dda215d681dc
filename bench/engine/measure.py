"""The two completion measurements: SpiffWorkflow used plainly (engine.raw_cycle), and our
whole transaction.

Both run the same diagram with the same data over the same plan (many cases, each completed
a few times in turn), so their medians compare like with like."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter

from bench.engine.workload import (
    ACTOR,
    DIAGRAM,
    PROCESS_ID,
    START_DATA,
    SUBMISSION,
    BenchHost,
    Plan,
    open_items,
    start_cases,
)
from core.db import Database
from engine import cases, raw_cycle
from engine.runner import in_transaction


@dataclass(frozen=True)
class Timings:
    """Seconds per operation, and the wall time of the whole sequential run."""

    each: list[float]
    wall: float

    @property
    def median_ms(self) -> float:
        return statistics.median(self.each) * 1000

    @property
    def per_second(self) -> float:
        return len(self.each) / self.wall


def percentile_ms(seconds: list[float], fraction: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(seconds)
    rank = max(1, math.ceil(round(fraction * len(ordered), 9)))
    return ordered[rank - 1] * 1000


def raw_cycles(plan: Plan) -> Timings:
    """The library as its documentation shows it (engine.raw_cycle): state serialized with
    its spec, default script engine; one cycle = deserialize, complete the user task, run,
    serialize."""
    each = raw_cycle.cycle_times(
        DIAGRAM, PROCESS_ID, START_DATA, SUBMISSION, cases=plan.cases, loops=plan.loops
    )
    return Timings(each, sum(each))  # the cycles back to back: nothing else runs between them


def paired(database: Database, host: BenchHost, plan: Plan) -> tuple[Timings, Timings]:
    """The raw cycle and our completion in turn, one of each at a time over the same plan:
    each pair ran on the machine as it was at that moment, so whatever else the machine did
    meanwhile (other processes, its clock speed, which drifted by a third between runs a
    minute apart) weighs on both alike, which two runs one after the other do not promise."""
    raw = raw_cycle.RawCases(DIAGRAM, PROCESS_ID, START_DATA, cases=plan.cases)
    raw_each: list[float] = []
    ours = our_completions(
        database, host, plan, before_each=lambda n: raw_each.append(raw.cycle(n, SUBMISSION))
    )
    return Timings(raw_each, sum(raw_each)), Timings(ours.each, sum(ours.each))


def our_completions(
    database: Database,
    host: BenchHost,
    plan: Plan,
    *,
    before_each: Callable[[int], None] | None = None,
) -> Timings:
    """`complete_task` through the transaction runner, each completion committed on its own.
    Cases are started beforehand; finding the open work items takes one query per round,
    which counts in the wall time (throughput) but not in the per-completion times; so does
    `before_each(n)`, run before the n-th case's completion of each round (untimed)."""
    case_ids = start_cases(database, host, plan.cases)
    each: list[float] = []
    started = perf_counter()
    for _ in range(plan.loops):
        with database.transaction() as session:
            items = open_items(session, case_ids)
        for n, case_id in enumerate(case_ids):
            if before_each is not None:
                before_each(n)
            began = perf_counter()
            in_transaction(database, host, cases.complete_task, items[case_id], SUBMISSION, ACTOR)
            each.append(perf_counter() - began)
    return Timings(each, perf_counter() - started)
