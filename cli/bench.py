"""`ykt bench` (also `python -m cli.bench`, as `make bench`) and `ykt bench-reports`: the thin
commands over the benchmarks in bench/, the only place in cli/ that imports them.

Both work on databases of their own (a temporary SQLite file, a throwaway database on the given
PostgreSQL server), never on the configured one."""

from __future__ import annotations

import json
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from bench import comparison, reports
from bench.databases import throwaway_postgresql
from bench.engine.report import environment, lines
from bench.engine.run import Sizes, run
from cli.context import AppContext, friendly_errors, pass_app
from core import heap, schema
from core.db import Database

POSTGRESQL_ENV = "YKT_BENCH_POSTGRESQL_URL"
DEFAULTS = Sizes()

postgresql_option = click.option(
    "--postgresql-url",
    envvar=POSTGRESQL_ENV,
    default="",
    help=f"PostgreSQL server to create a throwaway database on (default: ${POSTGRESQL_ENV}); "
    "without one, PostgreSQL is skipped.",
)


def workdir_option(what_goes_there: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--workdir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"Where {what_goes_there} (default: the system's temporary directory).",
    )


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _exit_on_terminate(signum: int, frame: FrameType | None) -> None:
    # As an exception, SIGTERM unwinds like Ctrl+C: the temporary SQLite file (hundreds of
    # megabytes) and the throwaway PostgreSQL database are removed on the way out.
    sys.exit(128 + signum)


@contextmanager
def _terminate_unwinds() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _exit_on_terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
@postgresql_option
@workdir_option("the temporary SQLite file goes")
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
    # The inbox page is measured through Flask; imported here, not at the top, so that no
    # other `ykt` command loads the web stack.
    from bench.inbox_page import page_times

    if min(total, open_, units, completions, queries) < 1 or warmup < 0 or open_ > total:
        raise click.BadParameter("sizes must be positive, warm-up not negative, open ≤ total")
    sizes = Sizes(total, open_, units, completions, warmup, queries)
    with _terminate_unwinds():
        result = run(sizes, postgresql_url.strip() or None, _progress, workdir, extra=page_times)
    if as_json:
        click.echo(json.dumps(result.figures()))
    else:
        for line in lines(result):
            click.echo(line)


@click.command(
    "bench-reports",
    help="报表基准测试：百万条台账生成附件2、附件3的耗时与内存，十万行导入的耗时。",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (progress on stderr).")
@click.option("--entries", default=1_000_000, show_default=True, help="Ledger entries loaded.")
@click.option("--import-rows", default=100_000, show_default=True, help="Rows imported (0: none).")
@click.option("--townships", default=100, show_default=True, help="Townships they spread over.")
@click.option("--villages", default=20, show_default=True, help="Villages per township.")
@postgresql_option
@workdir_option("the temporary files go")
@click.option("--sqlite/--no-sqlite", "with_sqlite", default=True, help="Measure SQLite too.")
@friendly_errors
def bench_reports(
    as_json: bool,
    entries: int,
    import_rows: int,
    townships: int,
    villages: int,
    postgresql_url: str,
    workdir: Path | None,
    with_sqlite: bool,
) -> None:
    if min(entries, townships, villages) < 1 or import_rows < 0:
        raise click.BadParameter("sizes must be positive")
    sizes = {
        "entries": entries,
        "import_rows": import_rows,
        "townships": townships,
        "villages": villages,
    }
    with _terminate_unwinds():
        result = reports.run(sizes, postgresql_url.strip(), workdir, with_sqlite)
    for line in [json.dumps(result, ensure_ascii=False)] if as_json else reports.lines(result):
        click.echo(line)


@click.command(
    "bench-deadlines",
    help="定时器基准测试：大量期限同时到期时，调度器全部触发所需时间（目标 60 秒内）。",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (progress on stderr).")
@click.option("--cases", "count", default=20_000, show_default=True, help="Deadlines due at once.")
@click.option(
    "--baseline",
    default=500,
    show_default=True,
    help="Deadlines fired one case per transaction first, as before.",
)
@click.option(
    "--engine-cases",
    default=2_000,
    show_default=True,
    help="Deadlines swept through the engine next, as before deadline marks.",
)
@postgresql_option
@workdir_option("the temporary SQLite file goes")
@click.option("--sqlite/--no-sqlite", "with_sqlite", default=True, help="Measure SQLite too.")
@friendly_errors
def bench_deadlines(
    as_json: bool,
    count: int,
    baseline: int,
    engine_cases: int,
    postgresql_url: str,
    workdir: Path | None,
    with_sqlite: bool,
) -> None:
    from bench.engine import deadlines

    if min(count, baseline, engine_cases) < 1:
        raise click.BadParameter("sizes must be positive")
    results = []
    with _terminate_unwinds():
        for database in _each_database(with_sqlite, postgresql_url, workdir, "deadlines"):
            schema.upgrade(database)
            results.append(deadlines.measure(database, count, baseline, engine_cases, _progress))
    _echo(as_json, results, "deadline", deadlines.lines)


@click.command(
    "bench-completion",
    help="办理成本基准测试：一次网页办理的 SQL 语句数，进程内办理与 SpiffWorkflow 原始周期之比。",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (progress on stderr).")
@click.option("--completions", default=400, show_default=True, help="In-process ones timed.")
@postgresql_option
@workdir_option("the temporary SQLite file goes")
@friendly_errors
def bench_completion(
    as_json: bool, completions: int, postgresql_url: str, workdir: Path | None
) -> None:
    # Imported here: no other `ykt` command loads the web stack.
    from bench import completion_web

    if completions < 1:
        raise click.BadParameter("sizes must be positive")
    results = []
    with _terminate_unwinds():
        for database in _each_database(True, postgresql_url, workdir, "completion"):
            results.append(completion_web.measure(database, completions, _progress))
    _echo(as_json, results, "completion", completion_web.lines)


def _each_database(
    with_sqlite: bool, postgresql_url: str, workdir: Path | None, name: str
) -> Iterator[Database]:
    """A fresh SQLite file (when asked), then a throwaway PostgreSQL database (when a server
    is given), each let go once measured."""
    if with_sqlite:
        with tempfile.TemporaryDirectory(prefix="ykt-bench-", dir=workdir) as tmp:
            sqlite = Database(f"sqlite:///{Path(tmp) / f'{name}.sqlite3'}")
            try:
                yield sqlite
            finally:
                sqlite.dispose()
    if postgresql_url.strip():
        with throwaway_postgresql(postgresql_url.strip()) as postgresql:
            yield postgresql


def _echo(as_json: bool, results: list[Any], what: str, lines: Callable[..., Any]) -> None:
    if as_json:
        click.echo(json.dumps([r.figures() for r in results]))
    else:
        click.echo(f"ykt {what} benchmark ({environment()})")
        for line in lines(results):
            click.echo(line)


@click.command(
    "bench-compare",
    help="数据比对基准测试：百万行发放名册、每份参照名单十万行，全部规则的耗时与内存，"
    "并与逐行的朴素比对对照。",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (progress on stderr).")
@click.option("--rows", default=1_000_000, show_default=True, help="Roll rows imported.")
@click.option("--reference-rows", default=100_000, show_default=True, help="Rows per list.")
@click.option("--naive-sample", default=1_000, show_default=True, help="Rows compared naively.")
@postgresql_option
@workdir_option("the temporary files go")
@click.option("--sqlite/--no-sqlite", "with_sqlite", default=True, help="Measure SQLite too.")
@friendly_errors
def bench_compare(
    as_json: bool,
    rows: int,
    reference_rows: int,
    naive_sample: int,
    postgresql_url: str,
    workdir: Path | None,
    with_sqlite: bool,
) -> None:
    if min(rows, reference_rows, naive_sample) < 1:
        raise click.BadParameter("sizes must be positive")
    with _terminate_unwinds():
        result = comparison.run(
            rows, reference_rows, naive_sample, postgresql_url.strip(), workdir, with_sqlite,
            _progress,
        )  # fmt: skip
    for line in [json.dumps(result, ensure_ascii=False)] if as_json else comparison.lines(result):
        click.echo(line)


@click.command(
    "bench-province",
    help="示例省规模的页面基准测试"
    "（在 YKT_DATABASE_URL 所指、已建立 ykt demo province 的数据库上）："
    "待办首页、台账搜索与筛选、督办页、全省附件2/附件3、问题页面 p95 与一次网页办理，各与目标对照。"
    "办理会改变数据：只审核通过该乡镇的少数几个问题。",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (progress on stderr).")
@click.option("--requests", default=50, show_default=True, help="Timed requests of each page.")
@click.option("--warmup", default=5, show_default=True, help="Untimed requests before them.")
@click.option("--repeats", default=3, show_default=True, help="Of the monitor and each table.")
@click.option("--completions", default=5, show_default=True, help="Approvals (change data).")
@click.option("--township", default="", help="A new township's code (default: the middle one).")
@click.option("--explain", is_flag=True, help="EXPLAIN the slowest reads of each page.")
@pass_app
@friendly_errors
def bench_province(
    app: AppContext,
    as_json: bool,
    requests: int,
    warmup: int,
    repeats: int,
    completions: int,
    township: str,
    explain: bool,
) -> None:
    # Imported here: no other `ykt` command loads the web stack.
    from bench import province_pages

    if min(requests, repeats, completions) < 1 or warmup < 0:
        raise click.BadParameter("次数须为正数，预热次数不能为负")
    sizes = province_pages.Sizes(requests, warmup, repeats, completions, township.upper())
    with app.reading():  # refuses a database without the current schema
        pass
    result = province_pages.measure(
        app.database,
        app.settings,
        sizes,
        _progress,
        plans=explain,
        settle=heap.settle_after_start,  # as `ykt serve` does after its start
    )
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        for line in province_pages.lines(result, plans=explain):
            click.echo(line)


@click.command(
    "bench-http",
    help="HTTP 压力测试：真实服务进程（1 个与 4 个网页进程）下多用户经 API 办理，"
    "每秒请求数与办理数、各类请求延迟、状态码、每次办理的服务器 CPU 与内存峰值。",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (progress on stderr).")
@click.option(
    "--database",
    type=click.Choice(["auto", "postgresql", "sqlite"]),
    default="auto",
    show_default=True,
    help="auto: PostgreSQL when a server is given, otherwise SQLite.",
)
@click.option("--problems", default=3000, show_default=True, help="Problems awaiting review.")
@click.option("--users", default=16, show_default=True, help="Concurrent API users.")
@click.option("--processes", default="1,4", show_default=True, help="Web processes, per run.")
@click.option("--threads", default=8, show_default=True, help="Threads of each web process.")
@click.option("--warmup", default=5.0, show_default=True, help="Unmeasured seconds first.")
@click.option("--duration", default=30.0, show_default=True, help="Measured seconds.")
@click.option(
    "--baseline-ref",
    default=None,
    help="A git revision run the same way, pair by pair, to compare CPU per completion.",
)
@click.option(
    "--rounds",
    default=1,
    show_default=True,
    help="Rounds of the pairs, every other one baseline first; ratios are their median.",
)
@postgresql_option
@workdir_option("the databases, logs and the baseline's worktree go")
@friendly_errors
def bench_http(
    as_json: bool,
    database: str,
    problems: int,
    users: int,
    processes: str,
    threads: int,
    warmup: float,
    duration: float,
    baseline_ref: str | None,
    rounds: int,
    postgresql_url: str,
    workdir: Path | None,
) -> None:
    from bench import http_bench, http_report

    try:
        counts = tuple(int(part) for part in processes.split(","))
    except ValueError:
        raise click.BadParameter("--processes: numbers separated by commas") from None
    if min(problems, users, threads, rounds, *counts) < 1 or warmup < 0 or duration <= 0:
        raise click.BadParameter("sizes must be positive, warm-up not negative")
    if database == "auto":
        database = "postgresql" if postgresql_url.strip() else "sqlite"
    options = http_bench.Options(
        database, postgresql_url.strip(), problems, users, counts, threads, warmup, duration,
        baseline_ref, workdir, rounds,
    )  # fmt: skip
    with _terminate_unwinds():
        measurements = http_bench.run(options, _progress)
    report = http_report.summary(options, measurements)
    for line in [json.dumps(report, ensure_ascii=False)] if as_json else http_report.lines(report):
        click.echo(line)
    if report["failed"]:
        sys.exit(1)


if __name__ == "__main__":
    bench()
