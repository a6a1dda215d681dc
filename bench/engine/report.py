"""The benchmark's figures for people: one line each, with the target and whether it is met."""

from __future__ import annotations

import os
import platform
from importlib.metadata import version

from bench.engine.run import Result

TARGET_RATIO = 3.0
TARGET_COMPLETIONS_PER_S = 200.0
TARGET_PAGE_P95_MS = 100.0
TARGET_INBOX_P95_MS = 20.0


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def environment() -> str:
    return (
        f"{os.cpu_count()} CPU cores, Python {platform.python_version()}, "
        f"SpiffWorkflow {version('SpiffWorkflow')}, SQLAlchemy {version('SQLAlchemy')}"
    )


def _row(label: str, value: str, target: str = "") -> str:
    return f"  {label:<58} {value:>12}  {target}".rstrip()


def _target(sign: str, limit: float, met: bool) -> str:
    return f"target {sign} {limit:g}: {_verdict(met)}"


def lines(result: Result) -> list[str]:
    sizes = result.sizes
    raw, sqlite, pg = result.raw, result.sqlite, result.postgresql
    done = len(sqlite.completions.each)
    rate = sqlite.completions.per_second
    inbox = f"{sizes.open:,} open of {sizes.total:,}, {sizes.units} units, p95 of {sizes.queries}"
    versions = f"SQLite {sqlite.version}" + (f", PostgreSQL {pg.version}" if pg else "")
    out = [
        f"ykt engine benchmark ({environment()}, {versions})",
        _row(f"raw SpiffWorkflow cycle (median of {len(raw.each)})", f"{raw.median_ms:.2f} ms"),
        _row(
            f"our completion transaction, SQLite (median of {done})",
            f"{sqlite.completions.median_ms:.2f} ms",
        ),
    ]
    if pg is not None:
        out.append(
            _row(
                f"our completion transaction, PostgreSQL (median of {len(pg.completions.each)})",
                f"{pg.completions.median_ms:.2f} ms",
            )
        )
    out += [
        _row(
            f"completions per second (SQLite, {done} in a row, one process)",
            f"{rate:.1f} /s",
            _target("≥", TARGET_COMPLETIONS_PER_S, rate >= TARGET_COMPLETIONS_PER_S),
        ),
        _row(
            "ratio ours / raw (SQLite)",
            f"{result.ratio:.2f}",
            _target("≤", TARGET_RATIO, result.ratio <= TARGET_RATIO),
        ),
    ]
    for name, measured in (("SQLite", sqlite), ("PostgreSQL", pg)):
        if measured is not None:
            p95 = measured.inbox_p95_ms
            out.append(
                _row(
                    f"inbox first page p95, {name}",
                    f"{p95:.2f} ms",
                    _target("≤", TARGET_INBOX_P95_MS, p95 <= TARGET_INBOX_P95_MS),
                )
            )
            page = measured.extra_p95_ms
            if page is not None:
                out.append(
                    _row(
                        f"inbox page through Flask p95, {name}",
                        f"{page:.2f} ms",
                        _target("≤", TARGET_PAGE_P95_MS, page <= TARGET_PAGE_P95_MS),
                    )
                )
    out.append(f"  (inbox: {inbox})")
    out += [f"  {note}" for note in result.notes]
    return out
