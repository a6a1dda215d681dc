"""The HTTP load benchmark (issue 17, item 7; the third figure of item 8): the real server
started as separate processes on loopback, with 1 and with 4 web processes in the same run,
and many users working their inboxes through the API at once (bench/http_load.py). Per
configuration it measures requests and completions per second, latency per kind of request,
statuses, the server processes' CPU per completion and their peak memory. With a baseline
revision, each configuration runs on the baseline too, pair by pair, so the CPU a completion
costs is compared in the same run."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from bench.databases import copy_of, throwaway_postgresql
from bench.http_load import KINDS, LoadRun, User, percentile, run_users
from bench.http_servers import (
    ROOT,
    Revision,
    baseline_tree,
    cpu_seconds,
    environment,
    peak_rss_kib,
    postmaster_pid,
    prepare,
    scratch,
    serving,
)

Progress = Callable[[str], None]
T = TypeVar("T")
TARGET_CPU_RATIO = 0.5  # item 8: server CPU per HTTP completion halved against the previous main


@dataclass(frozen=True)
class Options:
    database: str = "sqlite"  # or "postgresql"
    postgresql_url: str = ""
    problems: int = 3000
    users: int = 16
    processes: tuple[int, ...] = (1, 4)
    threads: int = 8
    warmup: float = 5.0
    duration: float = 30.0
    baseline_ref: str | None = None
    workdir: Path | None = None
    # Rounds of the pairs, the order of each pair turned round every other round: a figure
    # measured first or second, on a machine whose speed drifts, is then not always the same
    # revision's; the ratios are the median of the rounds'.
    rounds: int = 1


@dataclass
class Measurement:
    revision: str
    processes: int
    load: LoadRun
    web_cpu: float  # seconds, all web processes, over the window
    worker_cpu: float
    database_cpu: float | None  # the local PostgreSQL server's, when it can be read
    client_cpu: float  # this process's (the users'), for the record
    peak_rss_kib: list[int]  # each web process's peak
    worker_rss_kib: int
    load_average: tuple[float, float] = (0.0, 0.0)  # 1-minute, as the window opened / closed
    failures: dict[str, int] = field(default_factory=dict)
    round: int = 1

    @property
    def server_cpu(self) -> float:
        """The web processes': they answer the HTTP completions. The worker's ticks (timers,
        reminders, the outbox) do not follow the load and are shown beside it, not in it."""
        return self.web_cpu

    def per_completion(self, seconds: float | None) -> float | None:
        done = self.load.tally.completions
        return None if seconds is None or not done else seconds / done

    def figures(self) -> dict[str, Any]:
        tally = self.load.tally
        latency = {
            kind: {
                f"p{share}": _round(percentile(tally.latencies[kind], share / 100))
                for share in (50, 95, 99)
            }
            | {"count": len(tally.latencies[kind])}
            for kind in KINDS
        }
        statuses: dict[str, int] = {}
        for (kind, status), count in sorted(tally.statuses.items()):
            statuses[f"{kind} {status}"] = count
        return {
            "revision": self.revision,
            "processes": self.processes,
            "round": self.round,
            "seconds": round(self.load.seconds, 2),
            "requests": tally.requests,
            "requests_per_s": round(self.load.requests_per_s, 2),
            "completions": tally.completions,
            "completions_per_s": round(self.load.completions_per_s, 2),
            "conflicts_409": tally.conflicts(),
            "statuses": statuses,
            "failures": self.failures,
            "unexpected": tally.unexpected,
            "latency_ms": latency,
            "server_cpu_s": round(self.server_cpu, 2),
            "worker_cpu_s": round(self.worker_cpu, 2),
            "server_cpu_ms_per_completion": _round(_ms(self.per_completion(self.server_cpu))),
            "database_cpu_ms_per_completion": _round(_ms(self.per_completion(self.database_cpu))),
            "client_cpu_s": round(self.client_cpu, 2),
            "peak_rss_mib_per_web_process": round(max(self.peak_rss_kib) / 1024, 1),
            "peak_rss_mib_web_total": round(sum(self.peak_rss_kib) / 1024, 1),
            "peak_rss_mib_worker": round(self.worker_rss_kib / 1024, 1),
            "users_done_early": self.load.users_done_early,
            "load_average": list(self.load_average),
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


@contextmanager
def database_url(options: Options, tmp: Path, label: str) -> Iterator[str]:
    if options.database == "sqlite":
        yield f"sqlite:///{tmp / f'{label}.sqlite3'}"
        return
    if not options.postgresql_url:
        raise RuntimeError(
            "PostgreSQL needs a server: --postgresql-url or YKT_BENCH_POSTGRESQL_URL"
        )
    with throwaway_postgresql(options.postgresql_url) as database:
        yield database.url


@dataclass(frozen=True)
class Prepared:
    revision: Revision
    env: dict[str, str]
    users: list[dict[str, str]]
    logs: Path


def schedule(
    rounds: int, processes: tuple[int, ...], revisions: list[T]
) -> list[tuple[int, int, T]]:
    """(round, processes, revision) in the order measured: each number of processes on every
    revision in turn, the revisions' order reversed in every other round."""
    order = []
    for number in range(1, rounds + 1):
        turn = revisions if number % 2 else revisions[::-1]
        order += [(number, count, revision) for count in processes for revision in turn]
    return order


def run(options: Options, progress: Progress) -> list[Measurement]:
    """Every configuration on every revision, in pairs: (1 current, 1 baseline, 4 current, 4
    baseline; then, in a second round, baseline first), each on a fresh copy of its revision's
    database as seeded: a configuration
    measured after another on the same database found the other's completions done (its
    users' inboxes ran out before the end of its window, with 4 processes after 10 s of
    30, and a window that ends early is not the load the other measured)."""
    with ExitStack() as stack:
        tmp = stack.enter_context(scratch(options.workdir, "ykt-bench-http-"))
        revisions = [Revision("current", ROOT)]
        if options.baseline_ref:
            revisions.append(stack.enter_context(baseline_tree(options.baseline_ref, tmp)))
        prepared = []
        postmaster = None
        for revision in revisions:
            url = stack.enter_context(database_url(options, tmp, revision.label))
            postmaster = postmaster or postmaster_pid(url)
            env = environment(revision, url, tmp / revision.label / "instance")
            users = prepare(revision, env, options.problems, options.users, progress)
            prepared.append(Prepared(revision, env, users, tmp / revision.label / "logs"))
        measurements = []
        for number, processes, one in schedule(options.rounds, options.processes, prepared):
            progress(
                f"[{one.revision.label}] round {number}/{options.rounds}: {processes} web "
                f"process(es), {options.users} users, {options.warmup:g} s warm-up, "
                f"{options.duration:g} s measured"
            )
            with copy_of(one.env["YKT_DATABASE_URL"], tmp) as url:
                fresh = replace(one, env={**one.env, "YKT_DATABASE_URL": url})
                measurement = replace(measure(fresh, processes, options, postmaster), round=number)
            progress(
                f"  {measurement.load.completions_per_s:.1f} completions/s, "
                f"{measurement.load.requests_per_s:.1f} requests/s"
            )
            measurements.append(measurement)
        return measurements


def measure(
    prepared: Prepared, processes: int, options: Options, postmaster: int | None
) -> Measurement:
    logs = prepared.logs / f"{processes}-processes"
    with serving(prepared.revision, prepared.env, processes, options.threads, logs) as fleet:
        users = [
            User(made["username"], made["unit"], made["token"], fleet.urls[i % processes])
            for i, made in enumerate(prepared.users)
        ]
        readings: dict[bool, tuple[float, float, float | None, float, float]] = {}

        def read(opening: bool) -> None:
            readings[opening] = (
                sum(cpu_seconds(p.pid) for p in fleet.web),
                cpu_seconds(fleet.worker.pid),
                None if postmaster is None else cpu_seconds(postmaster),
                time.process_time(),
                os.getloadavg()[0],
            )

        load = run_users(users, warmup=options.warmup, duration=options.duration, on_window=read)
        rss = [peak_rss_kib(p.pid) for p in fleet.web]
        worker_rss = peak_rss_kib(fleet.worker.pid)
    before, after = readings[True], readings[False]
    database_cpu = None
    if before[2] is not None and after[2] is not None:
        database_cpu = after[2] - before[2]
    failures = load.tally.failures()
    if load.tally.completions == 0:
        failures["no completion"] = 1
    return Measurement(
        revision=prepared.revision.label,
        processes=processes,
        load=load,
        web_cpu=after[0] - before[0],
        worker_cpu=after[1] - before[1],
        database_cpu=database_cpu,
        client_cpu=after[3] - before[3],
        peak_rss_kib=rss,
        worker_rss_kib=worker_rss,
        load_average=(before[4], after[4]),
        failures=failures,
    )


def failed(measurements: list[Measurement]) -> bool:
    return any(m.failures for m in measurements)


def ratios(measurements: list[Measurement]) -> list[dict[str, Any]]:
    """Per number of processes: the current revision's CPU per completion over the
    baseline's, measured in the same round of the same run; over several rounds, the median
    of the rounds' ratios, each round's beside it."""
    by_key = {(m.revision, m.processes, m.round): m for m in measurements}
    pairs: dict[tuple[str, int], list[dict[str, float | None]]] = {}
    for base in measurements:
        current = by_key.get(("current", base.processes, base.round))
        if base.revision == "current" or current is None:
            continue
        pairs.setdefault((base.revision, base.processes), []).append(_pair(current, base))
    out = []
    for (baseline, processes), rounds in pairs.items():
        entry: dict[str, Any] = {"processes": processes, "baseline": baseline}
        for name in _RATIOS:
            each = [r[name] for r in rounds]
            known = [value for value in each if value is not None]
            entry[name] = round(statistics.median(known), 3) if known else None
            entry[name + "_by_round"] = each
        out.append(entry)
    return out


_RATIOS = ("server_cpu_ratio", "database_cpu_ratio", "completions_per_s_ratio")


def _pair(current: Measurement, base: Measurement) -> dict[str, float | None]:
    pair: dict[str, float | None] = {}
    for name, ours, theirs in (
        ("server_cpu_ratio", current.server_cpu, base.server_cpu),
        ("database_cpu_ratio", current.database_cpu, base.database_cpu),
    ):
        mine, other = current.per_completion(ours), base.per_completion(theirs)
        pair[name] = None if mine is None or not other else round(mine / other, 3)
    pair["completions_per_s_ratio"] = (
        round(current.load.completions_per_s / base.load.completions_per_s, 3)
        if base.load.completions_per_s
        else None
    )
    return pair
