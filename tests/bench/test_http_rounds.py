"""`ykt bench-http --rounds`: the pairs measured again with their order turned round, and the
ratios against the baseline taken round by round, their median reported."""

from __future__ import annotations

import json

import pytest

from bench import http_bench, http_report
from bench.http_load import LoadRun, Tally


def test_every_other_round_measures_the_baseline_first() -> None:
    assert http_bench.schedule(3, (1, 4), ["current", "base"]) == [
        (1, 1, "current"), (1, 1, "base"), (1, 4, "current"), (1, 4, "base"),
        (2, 1, "base"), (2, 1, "current"), (2, 4, "base"), (2, 4, "current"),
        (3, 1, "current"), (3, 1, "base"), (3, 4, "current"), (3, 4, "base"),
    ]  # fmt: skip
    assert http_bench.schedule(1, (1,), ["current"]) == [(1, 1, "current")]


def _measured(
    revision: str, round_: int, cpu: float, completions: int = 100
) -> http_bench.Measurement:
    tally = Tally(completions=completions)
    tally.statuses[("complete", 200)] = completions
    return http_bench.Measurement(
        revision=revision,
        processes=1,
        load=LoadRun(tally, seconds=10.0, users_done_early=0),
        web_cpu=cpu,
        worker_cpu=0.1,
        database_cpu=None,
        client_cpu=1.0,
        peak_rss_kib=[50_000],
        worker_rss_kib=40_000,
        round=round_,
    )


def test_the_ratio_is_the_median_of_the_rounds_each_paired_within_its_round() -> None:
    # Round 2 ran on a machine twice as slow for both: paired within the round it says 0.5
    # as the others do; paired across rounds it would say 0.25 or 1.0.
    measurements = [
        _measured("current", 1, 4.0), _measured("base", 1, 8.0),
        _measured("base", 2, 16.0), _measured("current", 2, 8.0),
        _measured("current", 3, 3.0), _measured("base", 3, 5.0),
    ]  # fmt: skip
    [ratio] = http_bench.ratios(measurements)
    assert ratio["server_cpu_ratio_by_round"] == [0.5, 0.5, 0.6]
    assert ratio["server_cpu_ratio"] == 0.5
    assert ratio["database_cpu_ratio"] is None  # no server CPU read: said, not guessed
    assert ratio["completions_per_s_ratio_by_round"] == [1.0, 1.0, 1.0]
    options = http_bench.Options(baseline_ref="base", rounds=3)
    report = json.loads(json.dumps(http_report.summary(options, measurements)))
    text = "\n".join(http_report.lines(report))
    assert "median of 3 rounds in the same run" in text
    assert "target ≤ 0.5 (issue 17, item 8): met   (rounds: 0.500, 0.500, 0.600)" in text
    assert "ykt worker, round 2" in text


def test_a_round_without_its_pair_is_left_out_not_paired_with_another() -> None:
    measurements = [_measured("current", 1, 4.0), _measured("base", 1, 8.0),
                    _measured("base", 2, 100.0)]  # fmt: skip
    [ratio] = http_bench.ratios(measurements)
    assert ratio["server_cpu_ratio_by_round"] == [0.5]


@pytest.mark.parametrize("rounds", ["0", "-1", "x"])
def test_rounds_must_be_a_positive_number(rounds: str) -> None:
    from click.testing import CliRunner

    from cli.bench import bench_http

    result = CliRunner().invoke(bench_http, ["--rounds", rounds])
    assert result.exit_code == 2
    assert "rounds" in result.output.lower() or "sizes must be positive" in result.output
