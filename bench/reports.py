"""The reports benchmark of issue 6 (`ykt bench-reports`): 附件2 and 附件3 over a
million ledger entries, and an import of 100,000 rows, on a fresh SQLite file and, when a
server is given, a throwaway PostgreSQL database; never on the configured database.

Each measurement runs in a child process of its own, so the memory figure is that process's
peak resident set size (VmHWM in /proc/self/status: interpreter, libraries, database driver
and the work), not a share of a long-lived process."""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select, text

from bench.databases import throwaway_postgresql
from bench.import_writers import import_beside_a_writer
from campaign import bootstrap, reports
from campaign.models import Clue, Obligation, Problem, Programme, StatCategory, Unit, User
from campaign.models.accounts import RoleAssignment
from campaign.reports.ledger_sheet import ledger_choices
from campaign.reports.reconciliation import check_figures
from core import schema
from core.db import Database, DatabaseUnavailable
from forms.ledger_excel import LedgerRow, write_ledger
from forms.ledger_excel.columns import focus_label
from forms.tables import write_attachment2, write_attachment3

URL_ENV, FILE_ENV = "YKT_BENCH_REPORTS_URL", "YKT_BENCH_REPORTS_FILE"
TARGETS = {"table_s": 5.0, "table_mb": 300.0, "import_s": 60.0, "writer_wait_s": 5.0}
TABLES = ("attachment2", "attachment3", "attachment3_by_township")
# The reconciliation (数字核对): on its own (both tables and 附件3 both ways, then the ledger
# and the record checks), and what the reports page adds to the tables it shows anyway.
CHECKS = ("check_figures", "check_figures_on_page")
PAGE_LIMIT = 100  # findings about single records the page lists of each kind
RUNS = 3
BATCH = 50_000
OFFICE_USER = "ldxz_ban"
FIRST_DAY = date(2022, 5, 1)
PROBLEM_TABLE: Table = Problem.__table__  # type: ignore[assignment]
NOW = datetime.now(UTC)
NOW_NAIVE = NOW.replace(tzinfo=None)
MOMENTS = ("registered_at", "reviewed_at", "voided_at")


def _say(message: str) -> None:
    # Progress goes to stderr: stdout carries the figures (the JSON a child hands back).
    print(message, file=sys.stderr, flush=True)


def _peak_mb() -> float:
    """The process's peak resident set size. Linux keeps ru_maxrss across exec, so a child
    would report its parent's size; VmHWM belongs to the new address space alone."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- the data ------------------------------------------------------------------------------


def _add_townships(database: Database, townships: int, villages: int) -> None:
    with database.engine.begin() as conn:
        district = conn.scalar(select(Unit.id).where(Unit.code == "LKQ"))
        conn.execute(insert(Unit), [
            {"code": f"T{t:04d}", "name": f"基准乡镇{t}", "kind": "township",
             "parent_id": district, "sort_order": 5000 + t, "population": 20000 + t}
            for t in range(1, townships + 1)
        ])  # fmt: skip
        codes = select(Unit.code, Unit.id).where(Unit.code.like("T%"))
        ids: dict[str, int] = {code: unit_id for code, unit_id in conn.execute(codes)}
        conn.execute(insert(Unit), [
            {"code": f"T{t:04d}V{v:02d}", "name": f"基准{t}村{v}", "kind": "village",
             "parent_id": ids[f"T{t:04d}"], "sort_order": v}
            for t in range(1, townships + 1)
            for v in range(1, villages + 1)
        ])  # fmt: skip
        # Each township's head (审核人): without one the imported 审核 steps would notify nobody.
        heads = {f"t{t:04d}_fzr": f"T{t:04d}" for t in range(1, townships + 1)}
        conn.execute(insert(User), [
            {"username": name, "full_name": name, "password_hash": "!"} for name in heads
        ])  # fmt: skip
        found = conn.execute(select(User.id, User.username).where(User.username.in_(heads)))
        conn.execute(insert(RoleAssignment), [
            {"user_id": uid, "unit_id": ids[heads[name]], "role": "reviewer"} for uid, name in found
        ])  # fmt: skip


def _problem_rows(conn: Any, entries: int, seed: int = 6) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not a secret)
    units = conn.execute(select(Unit.id, Unit.code).where(Unit.kind == "township")).all()
    villages: dict[int, list[int]] = {}
    for village_id, parent in conn.execute(
        select(Unit.id, Unit.parent_id).where(Unit.kind == "village")
    ):
        villages.setdefault(parent, []).append(village_id)
    programmes = conn.scalars(select(Programme.id)).all()
    categories = conn.execute(select(StatCategory.id, StatCategory.measure)).all()
    office = conn.scalar(select(User.id).where(User.username == OFFICE_USER))
    for n in range(1, entries + 1):
        unit_id, code = units[n % len(units)]
        category, measure = categories[rng.randrange(len(categories))]
        yield {
            "campaign_id": 1, "number": f"2022-{code}-{n:07d}", "unit_id": unit_id,
            "village_id": rng.choice(villages.get(unit_id) or [None]),
            "source": "self_inspection", "programme_id": rng.choice(programmes),
            "focus_item_id": 1 + rng.randrange(14), "stat_category_id": category,
            "description": f"基准问题{n}：村干部截留补贴资金", "amount_fen": rng.randrange(10**7),
            "cards": rng.randrange(1, 6) if measure == "cards" else 0,
            "households": rng.randrange(10), "persons": 0,
            "discovered_on": FIRST_DAY + timedelta(days=rng.randrange(200)),
            "responsible_person": "", "rectify_type": "", "measures": "", "measures_taken": "",
            "recovered_fen": 0, "public_text": "", "status": "reviewing",
            "registered_by": office, "registered_at": NOW,
            # Most entries reviewed (they count in the tables), a few voided.
            "reviewed_at": NOW if n % 10 else None, "voided_at": NOW if n % 97 == 0 else None,
        }  # fmt: skip


def _copy(conn: Any, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    statement = f"COPY problem ({', '.join(columns)}) FROM STDIN"
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            # COPY bypasses the UTC column type: naive UTC, as that type would store it.
            copy.write_row([NOW_NAIVE if c in MOMENTS and row[c] else row[c] for c in columns])


def load(database: Database, entries: int, townships: int, villages: int) -> float:
    """The reference data and demo accounts, the townships, a million entries (indexes
    built once at the end, COPY on PostgreSQL), clues and monthly reports; then ANALYZE."""
    started = time.perf_counter()
    schema.upgrade(database)
    with database.transaction() as session:
        bootstrap.initialise(session, with_demo=True, deployed_by="bench")
    _add_townships(database, townships, villages)
    indexes = sorted(PROBLEM_TABLE.indexes, key=lambda index: str(index.name))
    with database.engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
        batch: list[dict[str, Any]] = []
        for n, row in enumerate(_problem_rows(conn, entries), start=1):
            batch.append(row)
            if len(batch) == BATCH or n == entries:
                if database.dialect == "postgresql":
                    _copy(conn, batch)
                else:
                    conn.execute(insert(PROBLEM_TABLE), batch)
                batch = []
                if n % (BATCH * 4) == 0 or n == entries:
                    _say(f"  {n:>9,} / {entries:,} entries ({time.perf_counter() - started:.0f} s)")
        for index in indexes:
            index.create(conn)
        _add_clues_and_reports(conn, entries)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _add_clues_and_reports(conn: Any, entries: int, seed: int = 9) -> None:
    rng = random.Random(seed)  # noqa: S311
    office = conn.scalar(select(User.id).where(User.username == OFFICE_USER))
    at = datetime(2022, 7, 1, tzinfo=UTC)
    conn.execute(
        insert(Clue),
        [
            {"problem_id": pid, "number": f"XS-B-{n:06d}", "summary": "基准线索",
             "from_step": "审核", "transferred_by": office, "transferred_at": at,
             "status": "concluded", "party_sanctioned": rng.randrange(3),
             "government_sanctioned": rng.randrange(3), "exposure_cases": rng.randrange(2),
             "exposure_persons": rng.randrange(3), "recovered_fen": rng.randrange(10**6),
             "returned_fen": rng.randrange(10**6), "voluntary_persons": rng.randrange(2),
             "voluntary_fen": rng.randrange(10**5)}
            for n, pid in enumerate(range(1, entries + 1, 100), start=1)
        ],
    )  # fmt: skip
    townships = conn.scalars(select(Unit.id).where(Unit.kind == "township")).all()
    conn.execute(
        insert(Obligation),
        [
            {"campaign_id": 1, "deadline_code": "monthly_report", "period": f"2022-{m:02d}",
             "unit_id": unit, "due_on": date(2022, m, 23), "status": "submitted",
             "visited_persons": rng.randrange(500), "visited_households": rng.randrange(200),
             "cards_found": found, "banks_involved": rng.randrange(1, 9),
             "cards_illegal": rng.randrange(min(5, found + 1))}  # ≤ found, as the form says
            for unit in townships for m in range(5, 12) for found in (rng.randrange(900),)
        ],
    )  # fmt: skip


def import_file(database: Database, path: Path, rows: int) -> None:
    """A sheet of `rows` valid rows over the bench townships, as the ledger download writes."""
    with database.transaction() as session:
        choices = ledger_choices(session, 1)
    units = [(code, name) for code, name in choices.units if choices.villages.get(code)]
    rng = random.Random(3)  # noqa: S311

    def rows_of() -> Iterator[LedgerRow]:
        for n in range(rows):
            code, name = units[n % len(units)]
            village = choices.villages[code][n % len(choices.villages[code])][1]
            yield LedgerRow(
                choices.sources[n % 9][1], name, village,
                choices.programmes[n % len(choices.programmes)][1],
                choices.categories[n % 14][1], focus_label(*choices.focus_items[n % 14]),
                # Every category's own figure filled (category_rules): cards and money.
                f"导入问题{n}：村干部截留补贴资金", 1 + rng.randrange(10**7), 1 + n % 3, n % 20,
                FIRST_DAY + timedelta(days=n % 40),
            )  # fmt: skip

    write_ledger(rows_of(), choices, path)


# -- the measurements (each in a child process) --------------------------------------------


def _child_table(database: Database, task: str, out: Path) -> dict[str, Any]:
    before = _peak_mb()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        with database.transaction() as session:
            scope = reports.report_scope(session)
            if task == "attachment2":
                write_attachment2(reports.attachment2(session, scope), out)
            else:
                township = task.endswith("by_township")
                write_attachment3(reports.attachment3(session, scope, by_township=township), out)
        times.append(time.perf_counter() - started)
    return {"seconds": round(max(times), 3), "runs": [round(t, 3) for t in times],
            "rss_before_mb": round(before, 1), "peak_rss_mb": round(_peak_mb(), 1)}  # fmt: skip


def _child_check(database: Database, task: str) -> dict[str, Any]:
    before = _peak_mb()
    times, findings = [], {}
    for _ in range(RUNS):
        started = time.perf_counter()
        with database.transaction() as session:
            scope = reports.report_scope(session)
            given: dict[str, Any] = {}
            if task == "check_figures_on_page":  # the page hands in the tables it shows
                given = {"attachment2_table": reports.attachment2(session, scope),
                         "attachment3_table": reports.attachment3(session, scope),
                         "limit": PAGE_LIMIT}  # fmt: skip
                started = time.perf_counter()
            result = check_figures(session, scope, **given)
        times.append(time.perf_counter() - started)
        findings = {"errors": len(result.errors), "warnings": len(result.warnings),
                    "omitted": result.omitted_count}  # fmt: skip
    return {"seconds": round(max(times), 3), "runs": [round(t, 3) for t in times],
            "rss_before_mb": round(before, 1), "peak_rss_mb": round(_peak_mb(), 1),
            "findings": findings}  # fmt: skip


def _child_import(database: Database, path: Path) -> dict[str, Any]:
    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(phase: str, done: int, total: int) -> None:
        marks.setdefault(phase, time.perf_counter() - started)
        if phase == "导入" and done % 10_000 == 0:
            _say(f"  imported {done:,} / {total:,} ({time.perf_counter() - started:.0f} s)")

    result, writer = import_beside_a_writer(database, path, OFFICE_USER, progress)
    total = time.perf_counter() - started
    assert result.ok, result.errors[:5]
    check, store, copy = (marks.get(phase, total) for phase in ("校验", "导入", "写入"))
    return {"rows": len(result.created), "seconds": round(total, 1),
            "read_s": round(check, 1), "check_s": round(store - check, 1),
            "store_s": round(total - store, 1), "copy_s": round(total - copy, 1),
            "peak_rss_mb": round(_peak_mb(), 1), "writer": writer}  # fmt: skip


def run_child(task: str) -> dict[str, Any]:
    database = Database(os.environ[URL_ENV])
    try:
        path = Path(os.environ[FILE_ENV])
        if task == "import":
            return _child_import(database, path)
        if task in CHECKS:
            return _child_check(database, task)
        return _child_table(database, task, path)
    finally:
        database.dispose()


def _in_child(task: str, url: str, path: Path) -> dict[str, Any]:
    env = {**os.environ, URL_ENV: url, FILE_ENV: str(path)}
    command = [sys.executable, "-m", "bench.reports", task]
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, check=True)  # noqa: S603
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def measure(database: Database, sizes: dict[str, int], workdir: Path) -> dict[str, Any]:
    label = database.dialect
    _say(f"[{label}] loading {sizes['entries']:,} ledger entries")
    shape = {k: sizes[k] for k in ("entries", "townships", "villages")}
    found: dict[str, Any] = {"load_s": round(load(database, **shape), 1)}
    with database.engine.connect() as conn:
        found["version"] = ".".join(str(p) for p in conn.dialect.server_version_info or ())
    url = database.engine.url.render_as_string(hide_password=False)
    for task in TABLES:
        _say(f"[{label}] {task}: {RUNS} runs in a child process")
        found[task] = _in_child(task, url, workdir / f"{task}.xlsx")
    for task in CHECKS:
        _say(f"[{label}] {task}: {RUNS} runs in a child process")
        found[task] = _in_child(task, url, workdir / "unused.xlsx")
    if sizes["import_rows"]:
        sheet = workdir / "import.xlsx"
        _say(f"[{label}] writing a sheet of {sizes['import_rows']:,} rows to import")
        import_file(database, sheet, sizes["import_rows"])
        _say(f"[{label}] importing it in a child process")
        found["import"] = _in_child("import", url, sheet)
    return found


def lines(result: dict[str, Any]) -> Iterator[str]:
    yield f"Ledger entries: {result['entries']:,}; import rows: {result['import_rows']:,}"
    for label in ("sqlite", "postgresql"):
        found = result.get(label)
        if not found:
            continue
        yield f"{label} {found['version']}: loaded in {found['load_s']} s"
        for task in TABLES:
            t = found[task]
            met = t["seconds"] <= TARGETS["table_s"] and t["peak_rss_mb"] <= TARGETS["table_mb"]
            yield (
                f"  {task:<24} {t['seconds']:>6.2f} s (worst of {RUNS})  peak RSS "
                f"{t['peak_rss_mb']:>6.1f} MB (at start {t['rss_before_mb']} MB)  "
                f"target ≤ 5 s, ≤ 300 MB: {'met' if met else 'NOT met'}"
            )
        for task in CHECKS:
            c = found[task]
            yield (
                f"  {task:<24} {c['seconds']:>6.2f} s (worst of {RUNS})  peak RSS "
                f"{c['peak_rss_mb']:>6.1f} MB  findings {c['findings']}"
            )
        if "import" in found:
            i = found["import"]
            met = i["seconds"] <= TARGETS["import_s"]
            parts = f", of which the copy in parts {i['copy_s']} s" if i.get("copy_s") else ""
            yield (
                f"  import {i['rows']:,} rows  {i['seconds']:>7.1f} s (read {i['read_s']} s, "
                f"check {i['check_s']} s, store {i['store_s']} s{parts})  "
                f"peak RSS {i['peak_rss_mb']} MB  target ≤ 60 s: {'met' if met else 'NOT met'}"
            )
            w = i["writer"]
            met = w["longest_wait_s"] <= TARGETS["writer_wait_s"] and not w["failed"]
            how = "one write transaction" if w["locked"] else "staged, copied in parts"
            yield (f"    a writer beside it ({how}): {w['writes']} writes, longest wait "
                   f"{w['longest_wait_s']} s, {w['failed']} failed  target ≤ 5 s, none failed: "
                   f"{'met' if met else 'NOT met'}")  # fmt: skip
    yield from result.get("notes", [])


def run(
    sizes: dict[str, int], postgresql_url: str, workdir: Path | None, with_sqlite: bool
) -> dict[str, Any]:
    """The sizes, the figures of each database measured (`sqlite`, `postgresql`) and notes;
    everything made on the way (files, the PostgreSQL database) is removed afterwards."""
    result: dict[str, Any] = {**sizes, "notes": []}
    with tempfile.TemporaryDirectory(prefix="ykt-bench-reports-", dir=workdir) as tmp:
        if with_sqlite:
            sqlite = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
            try:
                result["sqlite"] = measure(sqlite, sizes, Path(tmp))
            finally:
                sqlite.dispose()
        if not postgresql_url:
            result["notes"].append("PostgreSQL skipped: no server given (--postgresql-url)")
            return result
        try:
            with throwaway_postgresql(postgresql_url) as postgresql:
                result["postgresql"] = measure(postgresql, sizes, Path(tmp))
        except DatabaseUnavailable as exc:
            result["notes"].append(f"PostgreSQL skipped: {exc}")
    return result


if __name__ == "__main__":
    # One measurement in a child process of its own (`_in_child`): its figures, as JSON.
    print(json.dumps(run_child(sys.argv[1])))
