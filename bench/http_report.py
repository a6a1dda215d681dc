"""What `ykt bench-http` prints: each configuration's figures beside what they are held
against, and the ratios against the baseline measured in the same run."""

from __future__ import annotations

import os
from typing import Any

from bench.http_bench import TARGET_CPU_RATIO, Measurement, Options, failed, ratios
from bench.http_load import KINDS

# What earlier measurements found (docs/operations.md, PostgreSQL, 2 cores): something to
# compare with, not a target of the issue.
EARLIER_COMPLETIONS = {1: "16–18/s (one ykt serve)", 4: "27–37/s (gunicorn, 4 workers)"}


def summary(options: Options, measurements: list[Measurement]) -> dict[str, Any]:
    return {
        "database": options.database,
        "problems": options.problems,
        "users": options.users,
        "threads_per_process": options.threads,
        "warmup_s": options.warmup,
        "duration_s": options.duration,
        "rounds": options.rounds,
        "baseline_ref": options.baseline_ref,
        "cpus": os.cpu_count(),
        "configurations": [m.figures() for m in measurements],
        "ratios": ratios(measurements),
        "failed": failed(measurements),
    }


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _by_round(ratio: dict[str, Any], name: str) -> str:
    each = ratio[name + "_by_round"]
    if len(each) < 2:
        return ""
    return "   (rounds: " + ", ".join("–" if v is None else f"{v:.3f}" for v in each) + ")"


def lines(report: dict[str, Any]) -> list[str]:
    out = [
        f"HTTP load: {report['database']}, {report['problems']} problems, {report['users']} "
        f"users, {report['threads_per_process']} threads a web process, "
        f"{report['duration_s']:g} s measured after {report['warmup_s']:g} s, "
        f"{report['cpus']} CPUs",
    ]
    for c in report["configurations"]:
        round_note = f", round {c['round']}" if report["rounds"] > 1 else ""
        out += [
            "",
            f"  {c['revision']}, {c['processes']} web process(es) + ykt worker{round_note}"
            f"  (load average {c['load_average'][0]:.2f} → {c['load_average'][1]:.2f})",
            f"    requests/s            {c['requests_per_s']:8.1f}   ({c['requests']} in "
            f"{c['seconds']:.1f} s)",
            f"    completions/s         {c['completions_per_s']:8.1f}   earlier: "
            + EARLIER_COMPLETIONS.get(c["processes"], "–"),
        ]
        for kind in KINDS:
            lat = c["latency_ms"][kind]
            out.append(
                f"    {kind:<9} p50/p95/p99 {_ms(lat['p50']):>7} / {_ms(lat['p95']):>7} / "
                f"{_ms(lat['p99']):>7} ms   ({lat['count']} requests; no target)"
            )
        statuses = ", ".join(f"{k}: {n}" for k, n in c["statuses"].items())
        verdict = "met" if not c["failures"] else "FAILED: " + ", ".join(c["failures"])
        out += [
            f"    statuses              {statuses}",
            f"    errors other than 409 {sum(c['failures'].values()):8d}   target 0: {verdict}",
        ]
        out += [f"      {text}" for text in c["unexpected"]]
        out += [
            f"    server CPU/completion {_ms(c['server_cpu_ms_per_completion']):>8} ms   "
            f"(web processes, {c['server_cpu_s']:.1f} s; the worker's "
            f"{c['worker_cpu_s']:.1f} s not counted)",
            f"    database CPU/compl.   {_ms(c['database_cpu_ms_per_completion']):>8} ms   "
            "(PostgreSQL backends, when local)",
            f"    load generator CPU    {c['client_cpu_s']:8.1f} s    (shares the machine)",
            f"    peak RSS              {c['peak_rss_mib_per_web_process']:8.1f} MiB a web "
            f"process at most, {c['peak_rss_mib_web_total']:.1f} MiB all web, worker "
            f"{c['peak_rss_mib_worker']:.1f} MiB",
        ]
        if c["users_done_early"]:
            out.append(
                f"    NOTE: {c['users_done_early']} users found their inbox empty before "
                "the end (more --problems)"
            )
    for r in report["ratios"]:
        server = r["server_cpu_ratio"]
        verdict = "–" if server is None else ("met" if server <= TARGET_CPU_RATIO else "not met")
        rounds = len(r["server_cpu_ratio_by_round"])
        how = "same run" if rounds == 1 else f"median of {rounds} rounds in the same run"
        out += [
            "",
            f"  current against {r['baseline']}, {r['processes']} web process(es), {how}:",
            f"    server CPU per completion  {server if server is not None else '–'}   "
            f"target ≤ {TARGET_CPU_RATIO} (issue 17, item 8): {verdict}"
            + _by_round(r, "server_cpu_ratio"),
            f"    database CPU per completion {r['database_cpu_ratio'] or '–'}"
            + _by_round(r, "database_cpu_ratio"),
            f"    completions/s              {r['completions_per_s_ratio'] or '–'}"
            + _by_round(r, "completions_per_s_ratio"),
        ]
    out.append("")
    out.append("FAILED: statuses other than 200 and 409" if report["failed"] else "no failures")
    return out
