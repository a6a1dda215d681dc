"""What one round trip to the database costs on the machine measured, printed beside the
completion's figures: a completion sends a dozen statements with a millisecond or two of
this process's work between them, and on a virtual machine whose idle processor sleeps, the
server's process then has to be woken for each (measured on the benchmarks' 2-core machine:
0.1–0.2 ms back to back, 0.3–0.5 ms after a millisecond of work). The figures are read with
it."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from time import perf_counter

from core.db import Database

WORK_BETWEEN_S = 0.001  # this process busy between two statements, as in a completion


@dataclass(frozen=True)
class RoundTrips:
    back_to_back_ms: float  # median of `SELECT 1` sent one after another
    after_work_ms: float  # median of `SELECT 1` sent after WORK_BETWEEN_S of work here

    def line(self) -> str:
        return (
            f"one round trip to the database: {self.back_to_back_ms:.2f} ms back to back, "
            f"{self.after_work_ms:.2f} ms after {WORK_BETWEEN_S * 1000:g} ms of work here"
        )


def _busy(seconds: float) -> None:
    until = perf_counter() + seconds
    while perf_counter() < until:
        pass


def measure(database: Database, count: int = 200) -> RoundTrips:
    """Medians of `count` trivial statements of each kind, on one connection in a
    transaction that only reads (and takes no write lock on SQLite)."""
    with database.reading() as session:
        connection = session.connection()
        connection.exec_driver_sql("SELECT 1").all()  # the connection and its transaction
        times: dict[bool, list[float]] = {False: [], True: []}
        for after_work in (False, True):  # each in a run of its own, as a completion sends them
            for _ in range(count):
                if after_work:
                    _busy(WORK_BETWEEN_S)
                began = perf_counter()
                connection.exec_driver_sql("SELECT 1").all()
                times[after_work].append((perf_counter() - began) * 1000)
    return RoundTrips(statistics.median(times[False]), statistics.median(times[True]))
