"""Several processes starting at once on a fresh instance folder agree on one secret key."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.config import SECRET_KEY_FILE, load_settings
from core.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
# Each process waits for the gate file, so all of them look for the key at the same moment.
RACER = """
import os, sys, time
from pathlib import Path
gate = Path(sys.argv[1])
while not gate.exists():
    time.sleep(0.001)
from core.config import load_settings
print(load_settings({"YKT_INSTANCE_DIR": sys.argv[2]}).secret_key)
"""


def test_processes_starting_together_on_a_fresh_folder_share_one_key(tmp_path: Path) -> None:
    for attempt in range(3):
        instance = tmp_path / f"instance-{attempt}"
        gate = tmp_path / f"gate-{attempt}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        racers = [
            subprocess.Popen(
                [sys.executable, "-c", RACER, str(gate), str(instance)],
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(8)
        ]
        time.sleep(0.8)  # let every racer reach the gate
        gate.touch()
        keys = {racer.communicate(timeout=30)[0].strip() for racer in racers}
        assert all(racer.returncode == 0 for racer in racers)
        assert len(keys) == 1
        (key,) = keys
        assert len(key) == 64
        assert (instance / SECRET_KEY_FILE).read_text(encoding="ascii").strip() == key
        # No candidate file is left behind by the processes that lost.
        assert sorted(p.name for p in instance.iterdir()) == [SECRET_KEY_FILE]


def test_an_empty_key_file_is_refused_not_used(tmp_path: Path) -> None:
    (tmp_path / SECRET_KEY_FILE).write_text("", encoding="ascii")
    with pytest.raises(InvalidInput, match="密钥文件为空"):
        load_settings({"YKT_INSTANCE_DIR": str(tmp_path)})
