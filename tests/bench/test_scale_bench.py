"""The deadline and completion benchmarks run end to end at toy sizes (speed is not
asserted here; the figures are in docs/scale.md)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli.bench import bench_completion, bench_deadlines
from tests.databases import server_url


def test_deadlines_are_all_fired_and_reported_beside_the_target(tmp_path: Path) -> None:
    postgresql = server_url() or ""
    args = ["--cases", "60", "--baseline", "5", "--engine-cases", "10", "--workdir", str(tmp_path)]
    result = CliRunner().invoke(bench_deadlines, [*args, "--json", "--postgresql-url", postgresql])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert len(figures) == (2 if postgresql else 1)
    for each in figures:
        assert each["cases"] == 60 and each["left"] == 0 and each["target_s"] == 60
        # Per case, not the whole sweep's seconds: a fast machine marks these 60 in 5 ms.
        assert each["per_case_ms"] > 0 and each["baseline_projected_s"] > 0
        # Every deadline in the history once, marked or fired through the engine.
        assert each["exactly_once"] is True and each["engine_cases"] == 10
        assert each["engine_per_case_ms"] > 0 and each["load_before"] >= 0
    text = CliRunner().invoke(bench_deadlines, [*args, "--postgresql-url", ""])
    assert text.exit_code == 0, text.output
    assert "target ≤ 60 s" in text.stdout and "500 a tick" in text.stdout
    assert "before marks, each case through the engine" in text.stdout


def test_completion_statements_and_ratios_are_reported(tmp_path: Path) -> None:
    args = ["--completions", "10", "--workdir", str(tmp_path), "--postgresql-url", ""]
    result = CliRunner().invoke(bench_completion, [*args, "--json"])
    assert result.exit_code == 0, result.output
    (figures,) = json.loads(result.stdout)
    assert 0 < figures["web_completion_statements"] <= 40
    assert figures["ratio_cached"] > 0 and figures["ratio_uncached"] > 0
    # What a statement waits at least on this machine, read with the completion's figures.
    assert figures["round_trip_ms"] > 0 and figures["round_trip_after_work_ms"] > 0
    text = CliRunner().invoke(bench_completion, args)
    assert text.exit_code == 0, text.output
    assert "one round trip to the database:" in text.stdout
