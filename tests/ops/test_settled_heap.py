"""A serving process settles its collector once started (core.heap): what it loaded for its
life is frozen out of the collector's reach and the young are collected less often. Checked
in processes of their own: settling the test run's own collector would change the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core import heap
from tests.ops.processes import environment

REPORT = "import gc; print(gc.get_freeze_count(), int(gc.isenabled()), *gc.get_threshold())"


def _run(code: str, tmp_path: Path) -> list[int]:
    env = environment(
        f"sqlite:///{tmp_path / 'ykt.sqlite3'}", tmp_path / "instance", tmp_path / "data", "s" * 40
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [int(n) for n in done.stdout.split()]


def test_what_the_suite_loads_in_its_own_process_leaves_the_collector_as_it_is(
    tmp_path: Path,
) -> None:
    # the modules tests import and call in process: the application, the commands, the
    # province benchmark (which settles only when `ykt bench-province` asks it to)
    loaded = "import web, cli.main, bench.province_pages; web.create_app(); "
    frozen, enabled, *thresholds = _run(loaded + REPORT, tmp_path)
    plain = _run(REPORT, tmp_path)
    assert frozen == 0 and enabled == 1
    assert thresholds == plain[2:]


def test_the_wsgi_application_settles_its_process(tmp_path: Path) -> None:
    plain = _run(REPORT, tmp_path)
    frozen, enabled, young, *older = _run(f"import web.wsgi; {REPORT}", tmp_path)
    # the application and every module it loaded: tens of thousands of objects
    assert frozen > 50_000 and enabled == 1
    assert young == heap.YOUNG_THRESHOLD and older == plain[3:]


def test_garbage_made_after_settling_is_still_collected_by_itself(tmp_path: Path) -> None:
    code = (
        "import gc, weakref\n"
        "from core import heap\n"
        "heap.settle_after_start()\n"
        "class Node: pass\n"
        "a, b = Node(), Node(); a.other, b.other = b, a\n"  # a cycle: only the collector frees it
        "gone = weakref.ref(a); del a, b\n"
        # no gc.collect(): new containers past the young threshold set the collector off
        f"kept = [[] for _ in range({heap.YOUNG_THRESHOLD * 3})]\n"
        f"print(int(gone() is None)); {REPORT}"
    )
    freed, frozen, enabled, young, *_ = _run(code, tmp_path)
    assert frozen > 0 and enabled == 1 and young == heap.YOUNG_THRESHOLD
    assert freed == 1
