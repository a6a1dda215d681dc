"""A real server process, as `make run` starts it (TESTING and DEBUG off, the production error
handlers and commits), on a fresh database with the demo data: for the browser tests and for
fuzzing the API over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.databases import fresh_database_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ykt_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli.main", *args]


@contextmanager
def demo_environment(tmp: Path) -> Iterator[dict[str, str]]:
    """The environment of a server: a fresh database (dropped afterwards) with the demo data."""
    with fresh_database_url(tmp) as url:
        env = {**os.environ, "YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp / "instance")}
        subprocess.run(
            ykt_command("init", "--demo"), env=env, check=True, capture_output=True, timeout=180
        )
        yield env


def run_ykt(env: dict[str, str], *args: str) -> str:
    """Run a `ykt` command on that database (as its operator would); its output."""
    done = subprocess.run(
        ykt_command(*args), env=env, check=True, capture_output=True, text=True, timeout=120
    )
    return done.stdout


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """`ykt serve` on a free loopback port until the block ends; its base address. The
    server's output goes to server.log beside the instance folder, for a failing test."""
    port = free_port()
    log = (Path(env["YKT_INSTANCE_DIR"]).parent / "server.log").open("w")
    server = subprocess.Popen(
        ykt_command("serve", "--port", str(port)), env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base + "/login", server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not answer within 60 s")
