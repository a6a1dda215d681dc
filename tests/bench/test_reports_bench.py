"""The reports benchmark runs end to end at toy sizes, each measurement in its child process
(speed itself is never asserted here)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from bench.reports import load
from campaign.models import Obligation
from cli.bench import bench_reports
from core.db import Database

# 42 rows: every category with every cards figure the sheet writes (n % 14, n % 3).
TOY = ["--entries", "100", "--import-rows", "42", "--townships", "1", "--villages", "1"]


def test_json_has_each_table_and_the_import_measured_in_child_processes(tmp_path: Path) -> None:
    args = ["--json", *TOY, "--postgresql-url", "", "--workdir", str(tmp_path)]
    result = CliRunner().invoke(bench_reports, args)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    sqlite = figures["sqlite"]
    for table in ("attachment2", "attachment3", "attachment3_by_township"):
        assert sqlite[table]["seconds"] > 0 and sqlite[table]["peak_rss_mb"] > 0, table
    for check in ("check_figures", "check_figures_on_page"):  # the reconciliation (数字核对)
        assert sqlite[check]["seconds"] > 0 and set(sqlite[check]["findings"]) == {
            "errors",
            "warnings",
            "omitted",
        }, check
    assert sqlite["import"]["rows"] == 42
    assert figures["notes"] == ["PostgreSQL skipped: no server given (--postgresql-url)"]
    assert "postgresql" not in figures
    assert "child process" in result.stderr  # progress goes to stderr, stdout stays JSON
    assert list(tmp_path.iterdir()) == []  # the SQLite file and the sheets are gone


def test_the_monthly_reports_it_writes_keep_the_forms_rule(tmp_path: Path) -> None:
    """Written straight to the database, the reports still hold what the form would take:
    no more cards held illegally than cards found."""
    database = Database(f"sqlite:///{tmp_path / 'bench.db'}")
    try:
        load(database, entries=50, townships=400, villages=1)
        with database.engine.connect() as conn:
            figures = conn.execute(
                select(Obligation.cards_found, Obligation.cards_illegal).where(
                    Obligation.deadline_code == "monthly_report"
                )
            ).all()
    finally:
        database.engine.dispose()
    assert len(figures) >= 400 * 7
    assert all(illegal <= found for found, illegal in figures)
