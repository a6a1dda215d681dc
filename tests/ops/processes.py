"""Real `ykt serve` and `ykt worker` processes for the operations tests: started on loopback
with a port the system picks, waited for with a timeout, always ended in teardown."""

from __future__ import annotations

import http.cookiejar
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
STARTED = re.compile(r"ykt 已启动：http://([\d.]+):(\d+)/")
START_TIMEOUT = 30.0


@dataclass
class Process:
    popen: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)
    url: str = ""
    pump: threading.Thread | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_for_line(self, pattern: str, timeout: float = START_TIMEOUT) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        for line in self.seen:
            if found := re.search(pattern, line):
                return found
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no line matching {pattern!r} within {timeout} s: {self.seen}")

    def terminate(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait(timeout=10)
        if self.pump is not None:
            self.pump.join(timeout=10)
        if self.popen.stdout is not None:
            self.popen.stdout.close()


def environment(database_url: str, instance: Path, data: Path, secret: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "YKT_DATABASE_URL": database_url,
        "YKT_INSTANCE_DIR": str(instance),
        "YKT_DATA_DIR": str(data),
        "YKT_SECRET_KEY": secret,
    }


@contextmanager
def running(*commands: tuple[list[str], dict[str, str]]) -> Iterator[list[Process]]:
    """Start `python -m cli.main <args>` for each (args, env); kill whatever still runs at
    the end, whatever happened."""
    started: list[Process] = []
    try:
        for args, env in commands:
            popen = subprocess.Popen(
                [sys.executable, "-m", "cli.main", *args],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            process = Process(popen)
            process.pump = threading.Thread(target=_pump, args=(process,), daemon=True)
            process.pump.start()
            started.append(process)
        for process in started:
            if process.popen.args[3] == "serve":  # type: ignore[index]
                found = process.wait_for_line(STARTED.pattern)
                process.url = f"http://{found.group(1)}:{found.group(2)}"
        yield started
    finally:
        for process in started:
            process.kill()


def _pump(process: Process) -> None:
    assert process.popen.stdout is not None
    for line in process.popen.stdout:
        process.lines.put(line.rstrip("\n"))


def serve_args() -> list[str]:
    return ["serve", "--port", "0", "--threads", "4", "--no-scheduler"]


class Browser:
    """Cookies kept across requests to any of the processes (all are 127.0.0.1)."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(
        self,
        url: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> tuple[int, bytes, str]:
        """(status, body, final URL); errors answer too instead of raising."""
        call = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310 (http to loopback)
        try:
            with self.opener.open(call, timeout=timeout) as answer:
                return answer.status, answer.read(), answer.url
        except urllib.error.HTTPError as error:
            return error.code, error.read(), url


def get_json(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    status, body, _ = Browser().request(url, headers=headers)
    return status, json.loads(body)


def multipart(field_name: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "ykt-test-boundary-7f3a"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"
