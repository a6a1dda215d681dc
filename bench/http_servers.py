"""The servers of the HTTP load benchmark: a revision's database made by that revision's own
`ykt init --demo` and bench/http_seed.py, its web processes (`ykt serve --no-scheduler`, one
per port, as docs/operations.md describes several web processes on one host) and the
`ykt worker` beside them, started as separate processes on loopback and always stopped; and
what they cost, read from /proc (CPU seconds of each process and its children, peak RSS)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = Path(__file__).with_name("http_seed.py")
RUN_FILE = (
    "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)
SECRET = "bench-http-" + "k" * 32
START_SECONDS = 90.0
STOP_SECONDS = 40.0
TICKS = os.sysconf("SC_CLK_TCK")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Revision:
    label: str  # "current", or the baseline's short commit
    tree: Path  # the source tree its processes run from


def environment(revision: Revision, database_url: str, instance: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(revision.tree),
        "PYTHONUNBUFFERED": "1",
        "YKT_DATABASE_URL": database_url,
        "YKT_INSTANCE_DIR": str(instance),
        "YKT_DATA_DIR": str(instance / "data"),
        "YKT_SECRET_KEY": SECRET,
    }


def ykt(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli.main", *args]


def prepare(
    revision: Revision, env: dict[str, str], problems: int, users: int, progress: Progress
) -> list[dict[str, str]]:
    """The demo, `problems` registered problems and `users` reviewers with tokens."""
    progress(f"[{revision.label}] ykt init --demo, {problems} problems, {users} reviewers")
    out = _run(
        [sys.executable, "-c", RUN_FILE, str(SEED), str(problems), str(users)], revision, env
    )
    made: list[dict[str, str]] = json.loads(out)["users"]
    return made


def _run(command: list[str], revision: Revision, env: dict[str, str]) -> str:
    """Its output; its progress and errors go to this process's stderr as they come."""
    done = subprocess.run(
        command, cwd=revision.tree, env=env, stdout=subprocess.PIPE, text=True, timeout=3600
    )
    if done.returncode != 0:
        raise RuntimeError(f"making the database of {revision.label} failed (see above)")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Fleet:
    """The running processes of one configuration."""

    urls: list[str]
    web: list[subprocess.Popen[bytes]]
    worker: subprocess.Popen[bytes]

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.web] + [self.worker.pid]


@contextmanager
def serving(
    revision: Revision, env: dict[str, str], processes: int, threads: int, logs: Path
) -> Iterator[Fleet]:
    """`processes` web processes and one worker, until the block ends."""
    started: list[subprocess.Popen[bytes]] = []
    logs.mkdir(parents=True, exist_ok=True)

    def start(args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        with (logs / log_name).open("wb") as log:
            popen = subprocess.Popen(
                ykt(*args), cwd=revision.tree, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        started.append(popen)
        return popen

    try:
        urls, web = [], []
        for index in range(processes):
            port = free_port()
            serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--no-scheduler"]
            web.append(start([*serve, "--threads", str(threads)], f"web-{index}.log"))
            urls.append(f"http://127.0.0.1:{port}")
        worker = start(["worker"], "worker.log")
        for url, popen in zip(urls, web, strict=True):
            _wait_ready(url, popen, logs)
        yield Fleet(urls, web, worker)
    finally:
        for popen in started:
            if popen.poll() is None:
                popen.send_signal(signal.SIGTERM)
        for popen in started:
            try:
                popen.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait(timeout=10)


def _wait_ready(url: str, popen: subprocess.Popen[bytes], logs: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"a web process exited with {popen.returncode}; see {logs}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5) as answer:  # noqa: S310 (loopback)
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} was not ready within {START_SECONDS:g} s; see {logs}")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU of the process, of its children that ended (cutime, cstime) and of
    those still running, in seconds; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command's closing parenthesis: state is field 3, utime..cstime are 14..17.
    own = sum(int(value) for value in fields[11:15]) / TICKS
    return own + sum(cpu_seconds(child) for child in _children(pid))


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident set size (VmHWM), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def postmaster_pid(database_url: str) -> int | None:
    """The local PostgreSQL server's process, to count its backends' CPU; None for SQLite, a
    server on another machine or one whose data directory this user cannot read."""
    if not database_url.startswith("postgresql"):
        return None
    from sqlalchemy import text

    from core.db import Database

    database = Database(database_url)
    try:
        with database.engine.connect() as conn:
            directory = conn.execute(text("SHOW data_directory")).scalar_one()
        pid = int((Path(directory) / "postmaster.pid").read_text().split()[0])
    except Exception:  # no figure rather than no benchmark
        return None
    finally:
        database.dispose()
    return pid if Path(f"/proc/{pid}/stat").exists() else None


@contextmanager
def scratch(workdir: Path | None, prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix, dir=workdir) as tmp:
        yield Path(tmp)


@contextmanager
def baseline_tree(ref: str, workdir: Path | None) -> Iterator[Revision]:
    """A detached git worktree of `ref`, removed afterwards."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if commit.returncode != 0:
        raise RuntimeError(f"no such revision: {ref}")
    short = commit.stdout.strip()
    with scratch(workdir, "ykt-bench-baseline-") as tmp:
        tree = tmp / "tree"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), short],
            check=True,
            capture_output=True,
        )
        try:
            yield Revision(short, tree)
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                check=False,
                capture_output=True,
            )
