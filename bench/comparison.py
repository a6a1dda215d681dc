"""The 数据比对 benchmark (`ykt bench-compare`): every rule over a million roll rows and a
hundred thousand rows of each reference list, on a fresh SQLite file and, when a server is
given, a throwaway PostgreSQL database; never on the configured database.

The reference lists and two small rolls with one of each anomaly planted (which the run must
find) go in through the real imports, every cell checked; the million clean roll rows are
encrypted and hashed as the import does and inserted in batches without the per-cell checks
(their cost per row is what the lists' import shows). The set-based run is timed as a whole and
rule by rule. Beside it, the naive way — each roll row in Python asking the database about
its person, card and standard, rule by rule — is timed on a sample of rows and extrapolated
to the whole roll (said so in the output). Memory: the process's peak resident set size
(VmHWM), reset before each phase (Linux's clear_refs), so each phase's figure is its own."""

from __future__ import annotations

import csv
import io
import tempfile
import time
from collections.abc import Callable
from datetime import date
from itertools import chain
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from bench.comparison_data import (
    ALLOWED_TYPES,
    HOUSEHOLD_HEADER,
    PAID_ON,
    Dataset,
    clean_rows,
    generate,
    household_row,
    id_number,
)
from bench.databases import throwaway_postgresql
from campaign import bootstrap, reference_import
from campaign.comparison import keyring, references, rolls
from campaign.comparison.protection import KeyFile
from campaign.comparison.run import programme_by_code, run_comparison
from campaign.current import active_campaign
from campaign.models import Discrepancy, PaymentRoll, RollRow, Unit
from core import schema
from core.bulk import insert_rows
from core.db import Database

TARGETS = {"sqlite_s": 60.0, "postgresql_s": 30.0, "peak_mb": 500.0}
PROGRAMME = "P03"


def _peak_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")  # resets VmHWM to the current resident size
    except OSError:
        pass


def _write_csv(path: Path, header: list[str], rows: Any) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_files(
    workdir: Path, rows: int, reference_rows: int, villages: list[str], planted: Dataset
) -> None:
    """The reference lists, as the district would send them, the planted anomalies' people
    on the lists too."""
    first = 10_000_000  # people on the lists but not on the roll
    born = date(1950, 1, 1)
    deceased = ([id_number(first + n, born), "2021-01-01"] for n in range(reference_rows))
    _write_csv(
        workdir / "deceased.csv", ["身份证号", "死亡日期"], chain(planted.deceased, deceased)
    )
    first += reference_rows
    payroll = ([id_number(first + n, born), "区直单位"] for n in range(reference_rows))
    _write_csv(workdir / "payroll.csv", ["身份证号", "工作单位"], chain(planted.payroll, payroll))
    first += reference_rows
    listed = (
        [id_number(first + n, born), "P09", villages[n % len(villages)]]
        for n in range(reference_rows)
    )
    header = ["身份证号", "项目", "村"]
    _write_csv(workdir / "beneficiaries.csv", header, chain(planted.beneficiaries, listed))
    _write_csv(
        workdir / "standards.csv",
        ["项目", "每人标准金额", "最低年龄", "最高年龄", "排除财政供养", "户类型"],
        [
            [PROGRAMME, "1000.00", "16", "100", "是", ALLOWED_TYPES],
            ["P01", "1000.00", "16", "100", "是", ALLOWED_TYPES],
        ],
    )
    # The household lists: every tenth person of the roll heads a household of a type the
    # programme is for, so that the household type rule joins them all and flags none.
    heads = (
        household_row((name, person, card, village), "低保户")
        for n, (name, person, village, _, card, *_) in enumerate(clean_rows(rows, 1, villages))
        if n % 10 == 0 and n // 10 < reference_rows
    )
    _write_csv(workdir / "households.csv", HOUSEHOLD_HEADER, chain(planted.households, heads))


def _timed(action: Callable[[], Any]) -> tuple[Any, float, float]:
    _reset_peak()
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started, _peak_mb()


def measure(
    database: Database, workdir: Path, rows: int, reference_rows: int, sample: int
) -> dict[str, Any]:
    schema.upgrade(database)
    with database.transaction() as session:
        bootstrap.initialise(session, with_demo=True, deployed_by="bench")
        villages = [u.name for u in session.scalars(select(Unit).where(Unit.kind == "village"))]
    key_file = KeyFile(workdir / f"keys-{database.engine.dialect.name}.json")
    planted = generate(2, 5, villages, reference_noise=0, start=50_000_000)
    write_files(workdir, rows, reference_rows, villages, planted)
    figures: dict[str, Any] = {"rows": rows, "reference_rows": reference_rows}

    def import_lists() -> None:
        for kind in ("standards", "deceased", "payroll", "beneficiaries"):
            with database.transaction() as session:
                references.import_list(
                    session, key_file, kind, workdir / f"{kind}.csv", actor_name="bench"
                )
        with database.transaction() as session:
            reference_import.import_sheet(
                session, reference_import.HOUSEHOLDS, workdir / "households.csv",
                campaign=active_campaign(session), key_file=key_file, actor_name="bench",
            )  # fmt: skip
        with database.transaction() as session:
            for roll, programme in planted.programmes.items():
                rolls.import_roll(
                    session, key_file, io.BytesIO(planted.roll_csv(roll)),
                    programme_code=programme, period="2022-06", file_name=f"{roll}.csv",
                    actor_name="bench",
                )  # fmt: skip

    _, figures["import_s"], figures["import_mb"] = _timed(import_lists)
    figures["import_rows"] = (
        3 * reference_rows
        + min(reference_rows, (rows + 9) // 10)
        + len(planted.households)
        + sum(len(r) for r in planted.rolls.values())
    )
    _, figures["load_s"], figures["load_mb"] = _timed(
        lambda: load_roll(database, key_file, rows, villages)
    )

    def compare() -> Any:
        with database.transaction() as session:
            return run_comparison(session, actor_name="bench")

    result, figures["compare_s"], figures["compare_mb"] = _timed(compare)
    figures["per_rule_s"] = {code: round(s, 2) for code, s in result.seconds.items()}
    figures["raised"] = result.total
    with database.reading() as session:
        figures["found_rules"] = sorted(
            set(session.scalars(text("SELECT DISTINCT r.code FROM discrepancy d JOIN "
                                     "comparison_rule r ON r.id = d.rule_id")))
        )  # fmt: skip
        figures["discrepancies"] = session.query(Discrepancy).count()

    def naive() -> int:
        with database.reading() as session:
            return naive_comparison(session, key_file, sample)

    flagged, naive_s, figures["naive_mb"] = _timed(naive)
    figures["naive_sample"] = sample
    figures["naive_sample_s"] = naive_s
    figures["naive_extrapolated_s"] = naive_s * (rows / max(sample, 1))
    figures["naive_flagged"] = flagged
    return figures


def load_roll(database: Database, key_file: KeyFile, rows: int, villages: list[str]) -> None:
    """The million clean rows, encrypted and hashed as the import does, inserted in batches
    without the import's per-cell checks (their cost is measured on the lists above)."""
    with database.transaction() as session:
        protector = keyring.protector(session, key_file)
        units = {u.name: u for u in session.scalars(select(Unit).where(Unit.kind == "village"))}
        programme = programme_by_code(session, PROGRAMME)
        roll = PaymentRoll(
            programme_id=programme.id, period="2022-06", file_name="generated",
            file_sha256="generated", rows=rows, amount_fen=0, imported_by="bench",
        )  # fmt: skip
        session.add(roll)
        session.flush()
        batch: list[dict[str, Any]] = []
        for number, values in enumerate(clean_rows(rows, 1, villages), start=2):
            name, person, village, bank, card, amount, paid, _ = values
            born = int(person[6:14])
            batch.append({
                "roll_id": roll.id, "row_no": number, "programme_id": programme.id,
                "period": "2022-06", "township_id": units[village].parent_id,
                "village_id": units[village].id, "name": name,
                "id_cipher": protector.encrypt(person), "id_hash": protector.digest(person),
                "birth_ymd": born, "bank": bank, "card_cipher": protector.encrypt(card),
                "card_hash": protector.digest(card), "card_last4": card[-4:],
                "amount_fen": int(amount.replace(".", "")), "paid_on": PAID_ON,
                "paid_ymd": int(paid.replace("-", "")),
            })  # fmt: skip
            if len(batch) == 50_000:
                insert_rows(session, RollRow, batch)
                batch = []
        insert_rows(session, RollRow, batch)


def naive_comparison(session: Any, key_file: KeyFile, sample: int) -> int:
    """The rules the naive way: each roll row in Python, a query per row and rule."""
    keyring.protector(session, key_file)
    standards = {
        programme: (amount, low, high, excludes, types)
        for programme, amount, low, high, excludes, types in session.execute(
            text("SELECT programme_id, amount_fen, min_age, max_age, excludes_payroll, "
                 "household_type FROM ref_standard")
        )
    }  # fmt: skip
    rows = session.execute(
        select(
            RollRow.id, RollRow.programme_id, RollRow.period, RollRow.id_hash,
            RollRow.card_hash, RollRow.village_id, RollRow.amount_fen, RollRow.paid_on,
            RollRow.birth_ymd, RollRow.paid_ymd,
        ).order_by(RollRow.id).limit(sample)
    ).all()  # fmt: skip
    flagged = 0
    one = session.connection().execute  # the naive way at its quickest: no ORM layer
    for row in rows:
        hits = 0
        died = one(text("SELECT died_on FROM ref_deceased WHERE id_hash = :h"), {"h": row.id_hash})
        hits += any(str(d.died_on) < row.paid_on.isoformat() for d in died)
        standard = standards.get(row.programme_id)
        if standard:
            amount, low, high, excludes, types = standard
            if excludes:
                payroll = "SELECT 1 FROM ref_payroll WHERE id_hash = :h"
                hits += one(text(payroll), {"h": row.id_hash}).first() is not None
            hits += amount is not None and row.amount_fen > amount
            age = (row.paid_ymd - row.birth_ymd) // 10000
            hits += (low is not None and age < low) or (high is not None and age > high)
            if types:
                head = "SELECT household_type FROM household WHERE id_hash = :h AND active = :t"
                kinds = one(text(head), {"h": row.id_hash, "t": True}).scalars()
                hits += any(k and k not in types.split("、") for k in kinds)
        same = {"h": row.id_hash, "p": row.period}
        cards = "SELECT COUNT(DISTINCT card_hash) FROM roll_row WHERE id_hash = :h AND period = :p"
        hits += (one(text(cards), same).scalar() or 0) > 1
        people = "SELECT COUNT(DISTINCT id_hash) FROM roll_row WHERE card_hash = :c AND period = :p"
        hits += (one(text(people), {"c": row.card_hash, "p": row.period}).scalar() or 0) > 2
        # The person's rows of the period, counted by programme here: with the programme in
        # the query SQLite (no statistics) may pick the programme's index and scan the roll.
        paid = "SELECT programme_id FROM roll_row WHERE id_hash = :h AND period = :p"
        hits += sum(g == row.programme_id for (g,) in one(text(paid), same)) > 1
        places = "SELECT village_id FROM ref_beneficiary WHERE id_hash = :h"
        listed = {v for (v,) in one(text(places), {"h": row.id_hash}) if v is not None}
        hits += bool(listed) and row.village_id not in listed
        villages = (
            "SELECT COUNT(DISTINCT village_id) FROM roll_row WHERE id_hash = :h AND period = :p"
        )
        hits += (one(text(villages), same).scalar() or 0) > 1
        flagged += hits > 0
    return flagged


def run(
    rows: int,
    reference_rows: int,
    sample: int,
    postgresql_url: str,
    workdir: Path | None,
    with_sqlite: bool,
    say: Callable[[str], None],
) -> dict[str, Any]:
    result: dict[str, Any] = {"targets": TARGETS}
    with tempfile.TemporaryDirectory(prefix="ykt-bench-compare-", dir=workdir) as tmp:
        here = Path(tmp)
        if with_sqlite:
            say("SQLite ...")
            database = Database(f"sqlite:///{here / 'bench.sqlite3'}")
            try:
                result["sqlite"] = measure(database, here, rows, reference_rows, sample)
            finally:
                database.dispose()
            for line in lines({"targets": TARGETS, "sqlite": result["sqlite"]}):
                say(line)  # at once: the PostgreSQL run takes as long again
        if postgresql_url:
            say("PostgreSQL ...")
            with throwaway_postgresql(postgresql_url) as database:
                result["postgresql"] = measure(database, here, rows, reference_rows, sample)
    return result


def lines(result: dict[str, Any]) -> list[str]:
    out = []
    targets = result["targets"]
    for backend in ("sqlite", "postgresql"):
        figures = result.get(backend)
        if not figures:
            continue
        target = targets[f"{backend}_s"]
        out.append(
            f"{backend}: {figures['rows']:,} roll rows, {figures['reference_rows']:,} rows per "
            "reference list"
        )
        out.append(
            f"  import of the lists and planted rolls ({figures['import_rows']:,} rows, every "
            f"cell checked): {figures['import_s']:.1f} s, peak {figures['import_mb']:.0f} MB"
        )
        out.append(
            f"  roll rows loaded (encrypted and hashed, no cell checks): {figures['load_s']:.1f} s,"
            f" peak {figures['load_mb']:.0f} MB"
        )
        out.append(
            f"  compare, every rule: {figures['compare_s']:.1f} s (target ≤ {target:.0f} s), "
            f"peak {figures['compare_mb']:.0f} MB (target ≤ {targets['peak_mb']:.0f} MB); "
            f"{figures['raised']} 疑点, rules that found: {', '.join(figures['found_rules'])}"
        )
        out.append(
            "  per rule: " + ", ".join(f"{c} {s:.1f} s" for c, s in figures["per_rule_s"].items())
        )
        out.append(
            f"  naive per-row Python: {figures['naive_sample']:,} rows in "
            f"{figures['naive_sample_s']:.1f} s, extrapolated to {figures['rows']:,} rows: "
            f"{figures['naive_extrapolated_s']:.0f} s (peak {figures['naive_mb']:.0f} MB)"
        )
    return out
