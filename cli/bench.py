"""`ykt bench`: the engine benchmark of issue 3 (also `python -m cli.bench`, as `make bench`).

It works on databases of its own (a temporary SQLite file, a throwaway database on the given
PostgreSQL server), never on the configured one."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from types import FrameType

import click

from cli.context import friendly_errors
from engine.bench.report import lines
from engine.bench.run import Sizes, run
from web.bench_inbox_page import page_times

POSTGRESQL_ENV = "YKT_BENCH_POSTGRESQL_URL"
DEFAULTS = Sizes()


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _exit_on_terminate(signum: int, frame: FrameType | None) -> None:
    # As an exception, SIGTERM unwinds like Ctrl+C: the temporary SQLite file (hundreds of
    # megabytes) and the throwaway PostgreSQL database are removed on the way out.
    sys.exit(128 + signum)


@click.command(help="引擎基准测试：SpiffWorkflow 原始周期、办理事务、每秒办理数、待办查询 p95。")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (progress on stderr).")
@click.option("--total", default=DEFAULTS.total, show_default=True, help="Work items loaded.")
@click.option("--open", "open_", default=DEFAULTS.open, show_default=True, help="Of which open.")
@click.option("--units", default=DEFAULTS.units, show_default=True, help="Units they spread over.")
@click.option(
    "--completions",
    default=DEFAULTS.completions,
    show_default=True,
    help="Measured completions (and raw cycles).",
)
@click.option("--warmup", default=DEFAULTS.warmup, show_default=True, help="Unmeasured ones first.")
@click.option("--queries", default=DEFAULTS.queries, show_default=True, help="Inbox queries timed.")
@click.option(
    "--postgresql-url",
    envvar=POSTGRESQL_ENV,
    default="",
    help=f"PostgreSQL server to create a throwaway database on (default: ${POSTGRESQL_ENV}); "
    "without one, PostgreSQL is skipped.",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the temporary SQLite file goes (default: the system's temporary directory).",
)
@friendly_errors
def bench(
    as_json: bool,
    total: int,
    open_: int,
    units: int,
    completions: int,
    warmup: int,
    queries: int,
    postgresql_url: str,
    workdir: Path | None,
) -> None:
    if min(total, open_, units, completions, queries) < 1 or warmup < 0 or open_ > total:
        raise click.BadParameter("sizes must be positive, warm-up not negative, open ≤ total")
    sizes = Sizes(total, open_, units, completions, warmup, queries)
    previous = signal.signal(signal.SIGTERM, _exit_on_terminate)
    try:
        result = run(sizes, postgresql_url.strip() or None, _progress, workdir, extra=page_times)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if as_json:
        click.echo(json.dumps(result.figures()))
    else:
        for line in lines(result):
            click.echo(line)


if __name__ == "__main__":
    bench()
