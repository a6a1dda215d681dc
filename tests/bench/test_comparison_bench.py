"""The 数据比对 benchmark runs end to end at toy sizes and finds every planted anomaly
(speed itself is never asserted here)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli.bench import bench_compare


def test_json_has_the_run_the_naive_comparison_and_every_rule_found(tmp_path: Path) -> None:
    args = ["--json", "--rows", "300", "--reference-rows", "50", "--naive-sample", "20"]
    args += ["--postgresql-url", "", "--workdir", str(tmp_path)]
    result = CliRunner().invoke(bench_compare, args)
    assert result.exit_code == 0, result.output
    sqlite = json.loads(result.stdout)["sqlite"]
    assert sqlite["found_rules"] == [f"R{n:02d}" for n in range(1, 11)]
    assert sqlite["discrepancies"] == 10  # the planted ones, nothing among the clean rows
    assert sqlite["compare_s"] > 0 and sqlite["compare_mb"] > 0
    assert sqlite["naive_sample"] == 20 and sqlite["naive_extrapolated_s"] > 0
    assert list(tmp_path.iterdir()) == []
