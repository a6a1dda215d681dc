"""The pages of issue 17, item 6, at province size: timed through the whole Flask stack
(routing, session, authorization, queries, template) on the configured database, which holds
`ykt demo province`, as real people of the data set see them.

A new township's officer and reviewer (`<code>_jbr`, `<code>_fzr`) for their inbox, their
problems' pages and the completion; the leading group office (`ldxz_ban`), which sees the
whole province, for the ledger, the supervision monitor and 附件2/附件3 of the province.

The completions change data: the reviewer approves `completions` (5) registered problems
after `warmup` untimed ones, which then wait for rectification as approved entries do.
Everything else only reads (a table download is recorded in the audit log)."""

from __future__ import annotations

import math
import os
import re
import statistics
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from time import perf_counter, process_time
from typing import Any

from sqlalchemy import func, select, text

from bench import round_trips
from bench.province_explain import Plan, capturing, explain, slowest_reads
from bench.round_trips import RoundTrips
from campaign import province
from campaign.demo import DEMO_PASSWORD
from campaign.models import Problem, Programme, Unit
from core import clock
from core.config import Settings
from core.db import Database
from core.errors import InvalidInput, NotFound
from engine.models import WorkItem
from web import create_app

Progress = Callable[[str], None]
OFFICE = "ldxz_ban"
XLSX_MAGIC = b"PK"
_ONCE = re.compile(r'name="once" value="([^"]+)"')
NO_PROVINCE = (
    "数据库中没有示例省：请先在 YKT_DATABASE_URL 所指的数据库上运行 ykt init 和 ykt demo province"
)

Client = Any  # the web app's test client (web.create_app(...).test_client())


@dataclass(frozen=True)
class Sizes:
    requests: int = 50  # timed requests of each list and page
    warmup: int = 5  # before them, not timed
    repeats: int = 3  # of the monitor and each statistics table
    completions: int = 5  # approvals; each changes data
    township: str = ""  # default: the middle one of the new townships
    explain_top: int = 2  # slowest reads of each page explained (with --explain)


@dataclass
class Figure:
    key: str
    label: str
    target_ms: float
    stat: str  # p95, median or max of the times
    times_ms: list[float]
    cpu_ms: float = 0.0  # median CPU time of this process per request

    @property
    def value_ms(self) -> float:
        ordered = sorted(self.times_ms)
        if self.stat == "median":
            return statistics.median(ordered)
        if self.stat == "max":
            return ordered[-1]
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def met(self) -> bool:
        return self.value_ms <= self.target_ms


@dataclass
class ProvinceResult:
    database: str
    entries: int
    township: str
    figures: list[Figure] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)  # work item ids approved
    statements: list[int] = field(default_factory=list)  # per completion
    plans: list[Plan] = field(default_factory=list)
    load: list[tuple[float, float, float]] = field(default_factory=list)  # before, after
    server: dict[str, str] = field(default_factory=dict)  # PostgreSQL's memory settings
    round_trips: RoundTrips | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "server_settings": self.server,
            "round_trips_ms": asdict(self.round_trips) if self.round_trips else None,
            "entries": self.entries,
            "township": self.township,
            "load_average": [list(one) for one in self.load],
            "figures": {
                f.key: {
                    "label": f.label,
                    "ms": round(f.value_ms, 2),
                    "stat": f.stat,
                    "samples": len(f.times_ms),
                    "cpu_ms": round(f.cpu_ms, 2),
                    "target_ms": f.target_ms,
                    "met": f.met,
                }
                for f in self.figures
            },
            "completed_work_items": self.completed,
            "completion_statements": self.statements,
            "explain": [p.figures() for p in self.plans],
        }


# What the figures depend on most besides the machine: docs/scale.md sizes them for a province.
SERVER_SETTINGS = ("shared_buffers", "effective_cache_size", "work_mem", "jit")


def server_settings(database: Database) -> dict[str, str]:
    """The PostgreSQL server's settings the figures were measured with (none on SQLite)."""
    if database.dialect != "postgresql":
        return {}
    with database.reading() as session:
        return {name: str(session.scalar(text(f"SHOW {name}"))) for name in SERVER_SETTINGS}


@dataclass(frozen=True)
class Subjects:
    """What the pages are asked about, read from the data set."""

    township: str
    problem_ids: list[int]
    review_items: list[int]
    text: str
    number_part: str
    programme: str


def subjects(database: Database, sizes: Sizes) -> tuple[int, Subjects]:
    with database.reading() as session:
        if not province.exists(session):
            raise NotFound(NO_PROVINCE)
        codes = list(
            session.scalars(
                select(Unit.code)
                .where(Unit.kind == "township", Unit.code.like("X%"))
                .order_by(Unit.code)
            )
        )
        code = sizes.township or (codes[len(codes) // 2] if codes else "")
        if code not in codes:
            raise InvalidInput(f"示例省中没有乡镇 {code}（可选 {codes[0]} 至 {codes[-1]}）")
        unit_id = session.scalars(select(Unit.id).where(Unit.code == code)).one()
        entries = session.scalar(select(func.count()).select_from(Problem)) or 0
        problems = list(
            session.execute(
                select(Problem.id, Problem.number, Problem.description, Programme.code)
                .join(Programme, Programme.id == Problem.programme_id)
                .where(Problem.unit_id == unit_id)
                .order_by(Problem.id)
                .limit(max(sizes.requests, 1) + max(sizes.warmup, 0))
            ).tuples()
        )
        reviews = list(
            session.scalars(
                select(WorkItem.id)
                .join(Problem, Problem.case_id == WorkItem.case_id)
                .where(
                    Problem.unit_id == unit_id,
                    Problem.status == "reviewing",
                    WorkItem.state == "open",
                    WorkItem.role == "reviewer",
                )
                .order_by(WorkItem.id.desc())
                .limit(sizes.completions + sizes.warmup)
            )
        )
    if not problems or len(reviews) < sizes.completions + sizes.warmup:
        raise NotFound(f"乡镇 {code} 的问题台账或待审核事项不足，无法测量")
    _id, number, description, programme = problems[-1]
    return entries, Subjects(
        township=code,
        problem_ids=[p[0] for p in problems],
        review_items=reviews,
        text=description[:4],
        number_part=number[:-1],
        programme=programme,
    )


def _login(app: Any, username: str) -> Client:
    client = app.test_client()
    answer = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    location = answer.headers.get("Location", "")
    if answer.status_code != 302 or "password" in location:
        raise RuntimeError(f"{username} could not log in ({answer.status_code} {location})")
    return client


def _get(client: Client, url: str, expect: str | bytes) -> None:
    answer = client.get(url)
    body = answer.get_data()
    wanted = expect.encode() if isinstance(expect, str) else expect
    if answer.status_code != 200 or wanted not in body:
        raise RuntimeError(f"GET {url} answered {answer.status_code} without {expect!r}")


def _times(call: Callable[[int], None], warmup: int, count: int) -> tuple[list[float], float]:
    """Wall milliseconds of each call, and the median CPU milliseconds this process spent on
    one (the server's are not in it): on a shared machine the wall time is mostly waiting."""
    for n in range(warmup):
        call(n)
    times, cpu = [], []
    for n in range(count):
        began, began_cpu = perf_counter(), process_time()
        call(warmup + n)
        times.append((perf_counter() - began) * 1000)
        cpu.append((process_time() - began_cpu) * 1000)
    return times, statistics.median(cpu)


class Bench:
    def __init__(self, database: Database, settings: Settings, sizes: Sizes, progress: Progress):
        self.database = database
        self.sizes = sizes
        self.progress = progress
        self.app = create_app(
            database=database, settings=settings, config={"WTF_CSRF_ENABLED": False}
        )
        self.pages: list[tuple[str, Client, str, str | bytes]] = []

    def page(
        self, result: ProvinceResult, key: str, label: str, target: float, stat: str,
        client: Client, urls: list[str], expect: list[str | bytes], repeats: int,
    ) -> None:  # fmt: skip
        """Time GETs of the urls in turn (after a warm-up: the list's own, or one request of
        a page timed only a few times), each checked for its content."""
        self.progress(f"{label}: {repeats} × GET {urls[0]}")
        warm = self.sizes.warmup if repeats == self.sizes.requests else min(self.sizes.warmup, 1)

        def call(n: int) -> None:
            _get(client, urls[n % len(urls)], expect[n % len(expect)])

        times, cpu = _times(call, warm, repeats)
        result.figures.append(Figure(key, label, target, stat, times, cpu))
        self.pages.append((label, client, urls[0], expect[0]))

    def complete(self, result: ProvinceResult, reviewer: Client, s: Subjects) -> None:
        warm = self.sizes.warmup
        timed = len(s.review_items) - warm
        self.progress(f"审核（通过）：{timed} 次网页办理，先 {warm} 次不计时（会改变数据）")
        approval = {
            "review_decision": "approve",
            "responsible_unit": s.township,
            "responsible_person": "基准测试责任人",
            "rectify_type": "deadline",
            "measures": "追回资金并足额发放（基准测试）",
            "deadline": (clock.now().date() + timedelta(days=60)).isoformat(),
        }
        times, cpu = [], []
        for n, item_id in enumerate(s.review_items):
            once = _ONCE.search(reviewer.get(f"/tasks/{item_id}").get_data(as_text=True))
            if once is None:
                raise RuntimeError(f"no form on /tasks/{item_id}")
            with capturing(self.database) as statements:
                began, began_cpu = perf_counter(), process_time()
                answer = reviewer.post(f"/tasks/{item_id}", data={**approval, "once": once[1]})
                took, took_cpu = perf_counter() - began, process_time() - began_cpu
            if answer.status_code != 302:
                raise RuntimeError(f"the completion of {item_id} answered {answer.status_code}")
            result.completed.append(item_id)
            if n >= warm:  # the first untimed, as the pages' first requests are
                times.append(took * 1000)
                cpu.append(took_cpu * 1000)
                result.statements.append(len(statements))
        for stat in ("median", "p95"):
            label = f"一次网页办理（审核通过）{stat}"
            figure = Figure(f"completion_{stat}", label, 20, stat, times, statistics.median(cpu))
            result.figures.append(figure)

    def plans(self, result: ProvinceResult) -> None:
        """One more request of each page with its statements captured; the slowest explained."""
        for label, client, url, expect in self.pages:
            with capturing(self.database) as statements:
                _get(client, url, expect)
            for statement in slowest_reads(statements, self.sizes.explain_top):
                self.progress(f"EXPLAIN: {label}")
                result.plans.append(explain(self.database, label, statement))


def measure(
    database: Database,
    settings: Settings,
    sizes: Sizes,
    progress: Progress,
    *,
    plans: bool,
    settle: Callable[[], None] | None = None,
) -> ProvinceResult:
    """Every figure. `settle`, run once the application is made: what a serving process does
    after its start (`ykt bench-province` passes core.heap's), so its pages are measured as
    they are served; a test leaves its own process as it is."""
    entries, s = subjects(database, sizes)
    result = ProvinceResult(database.dialect, entries, s.township)
    result.load.append(os.getloadavg())
    result.server = server_settings(database)
    result.round_trips = round_trips.measure(database)
    bench = Bench(database, settings, sizes, progress)
    if settle is not None:
        settle()
    code = s.township.lower()
    officer, reviewer, office = (
        _login(bench.app, n) for n in (f"{code}_jbr", f"{code}_fzr", OFFICE)
    )
    n, r = sizes.requests, sizes.repeats
    bench.page(result, "inbox_officer", f"待办首页（{code}_jbr）p95", 100, "p95",
               officer, ["/inbox/"], ["我的待办"], n)  # fmt: skip
    bench.page(result, "inbox_reviewer", f"待办首页（{code}_fzr）p95", 100, "p95",
               reviewer, ["/inbox/"], ["我的待办"], n)  # fmt: skip
    bench.page(result, "inbox_office", f"待办首页（{OFFICE}，全省办公室步骤）p95", 100, "p95",
               office, ["/inbox/"], ["我的待办"], n)  # fmt: skip
    ledger = [
        ("ledger_text", f"台账搜索：文字“{s.text}” p95", f"q={s.text}"),
        ("ledger_number", f"台账搜索：编号片段“{s.number_part}” p95", f"q={s.number_part}"),
        ("ledger_unit", f"台账筛选：单位 {s.township} p95", f"unit={s.township}"),
        ("ledger_status", "台账筛选：状态 整改中 p95", "status=rectifying"),
        ("ledger_programme", f"台账筛选：项目 {s.programme} p95", f"programme={s.programme}"),
        ("ledger_overdue", "台账筛选：逾期 p95", "overdue=1"),
        ("ledger_all", "台账首页（无筛选）p95", ""),
    ]
    for key, label, query in ledger:
        bench.page(result, key, label, 300, "p95", office, [f"/ledger?{query}"], ["问题台账"], n)
    bench.page(result, "monitor", "督办（监控）页 最长", 1000, "max",
               office, ["/supervise/"], ["督办"], r)  # fmt: skip
    scope = f"unit={province.PROVINCE_CODE}"
    bench.page(result, "reports_page", "附件2、附件3 全省（页面）最长", 5000, "max",
               office, [f"/reports/?{scope}"], [province.PROVINCE_NAME], r)  # fmt: skip
    bench.page(result, "attachment2_xlsx", "附件2 全省（xlsx 下载）最长", 5000, "max",
               office, [f"/reports/attachment2.xlsx?{scope}"], [XLSX_MAGIC], r)  # fmt: skip
    bench.page(result, "attachment3_xlsx", "附件3 全省（xlsx 下载）最长", 5000, "max",
               office, [f"/reports/attachment3.xlsx?{scope}"], [XLSX_MAGIC], r)  # fmt: skip
    with database.reading() as session:
        numbers = dict(
            session.execute(select(Problem.id, Problem.number).where(Problem.id.in_(s.problem_ids)))
            .tuples()
            .all()
        )
    bench.page(result, "problem_page", "问题页面 p95", 200, "p95", officer,
               [f"/problems/{i}" for i in s.problem_ids],
               [numbers[i] for i in s.problem_ids], n)  # fmt: skip
    bench.complete(result, reviewer, s)
    if plans:
        bench.plans(result)
    result.load.append(os.getloadavg())
    return result


def lines(result: ProvinceResult, *, plans: bool) -> list[str]:
    from bench.province_explain import plan_lines

    before, after = result.load[0], result.load[-1]
    out = [
        f"ykt province benchmark ({result.database}, {result.entries:,} entries, "
        f"township {result.township}; load average {before[0]:.1f} before, "
        f"{after[0]:.1f} after, on {os.cpu_count()} cores)",
    ]
    if result.server:
        out.append("  server: " + ", ".join(f"{k} {v}" for k, v in result.server.items()))
    if result.round_trips:
        out.append(f"  {result.round_trips.line()}")
    for f in result.figures:
        verdict = "met" if f.met else "MISSED"
        out.append(
            f"  {_padded(f.label, 50)} {f.value_ms:9.1f} ms   "
            f"target ≤ {f.target_ms:g} ms: {verdict:<6}  CPU {f.cpu_ms:7.1f} ms"
            f"  ({len(f.times_ms)} timed)"
        )
    out.append(
        f"  statements per completion: {', '.join(map(str, result.statements))}; "
        f"work items approved (data changed): {', '.join(map(str, result.completed))}"
    )
    if plans:
        out += ["", "EXPLAIN of the slowest reads of each page:", *plan_lines(result.plans)]
    return out


def _padded(text: str, width: int) -> str:
    """Padded to a width in terminal columns (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - columns)
