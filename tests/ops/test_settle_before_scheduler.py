"""`ykt serve` and `ykt worker` settle their process's collector (core.heap) once what they
serve with is loaded, and before their scheduler's first tick: nothing a tick makes is frozen
for the process's life. Run in-process with the scheduler, the server and the wait for a
signal replaced by recorders."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

import cli.main
import cli.serving
import cli.workflows
from cli.main import ykt
from core import heap
from tests.databases import initialised_env


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with initialised_env(tmp_path_factory.mktemp("settle")) as env:
        yield env


@pytest.fixture
def order(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    happened: list[str] = []

    class Recorded:
        holder = "test"

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            happened.append("scheduler made")

        def start(self) -> None:
            happened.append("scheduler started")

        def stop(self) -> None:
            happened.append("scheduler stopped")

    class Stopped:  # the worker's wait for a signal: the signal came at once
        def set(self) -> None:
            pass

        def wait(self, _timeout: float) -> bool:
            return True

    def serving(flask_app: Any, **_kwargs: Any) -> None:
        happened.append(f"serving {flask_app.name}")

    monkeypatch.setattr(heap, "settle_after_start", lambda: happened.append("settled"))
    monkeypatch.setattr(cli.main, "Scheduler", Recorded)
    monkeypatch.setattr(cli.workflows, "Scheduler", Recorded)
    monkeypatch.setattr(cli.serving, "serve_until_stopped", serving)
    monkeypatch.setattr(cli.workflows.threading, "Event", Stopped)
    monkeypatch.setattr(cli.workflows.signal, "signal", lambda *_args: None)
    return happened


def test_serve_settles_after_making_the_application_and_before_the_scheduler_starts(
    env: dict[str, str], order: list[str]
) -> None:
    result = CliRunner().invoke(ykt, ["serve", "--port", "0"], env=env)
    assert result.exit_code == 0, result.output
    assert order == [
        "scheduler made",
        "settled",
        "scheduler started",
        "serving web",
        "scheduler stopped",
    ]


def test_serve_without_its_scheduler_settles_before_serving(
    env: dict[str, str], order: list[str]
) -> None:
    result = CliRunner().invoke(ykt, ["serve", "--port", "0", "--no-scheduler"], env=env)
    assert result.exit_code == 0, result.output
    assert order == ["settled", "serving web"]


def test_the_worker_settles_before_its_scheduler_starts(
    env: dict[str, str], order: list[str]
) -> None:
    result = CliRunner().invoke(ykt, ["worker", "--interval", "5"], env=env)
    assert result.exit_code == 0, result.output
    assert order == ["scheduler made", "settled", "scheduler started", "scheduler stopped"]
