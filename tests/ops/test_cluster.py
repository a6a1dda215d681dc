"""Two web processes as two hosts (each its own instance folder, one shared secret key and
one shared evidence directory) and two schedulers, against one database."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select

from campaign.demo import DEMO_PASSWORD
from core.db import Database
from engine.models import SchedulerLease
from tests.ops.conftest import Prepared
from tests.ops.processes import Browser, environment, get_json, multipart, running, serve_args

SECRET = "shared-secret-" + "k" * 40
PDF = b"%PDF-1.4\n% evidence uploaded on one host\n"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_two_hosts_share_sessions_and_evidence(prepared: Prepared, tmp_path: Path) -> None:
    data = tmp_path / "shared-data"
    host_a = environment(prepared.url, tmp_path / "host-a", data, SECRET)
    host_b = environment(prepared.url, tmp_path / "host-b", data, SECRET)
    with running((serve_args(), host_a), (serve_args(), host_b)) as (a, b):
        for web in (a, b):
            assert get_json(f"{web.url}/healthz") == (200, {"status": "ok"})
            assert get_json(f"{web.url}/readyz")[0] == 200

        # The login form from one host, posted to the other, the session used on the first.
        browser = Browser()
        _, page, _ = browser.request(f"{a.url}/login")
        match = CSRF.search(page.decode())
        assert match
        form = urlencode(
            {"username": "qsz_jbr", "password": DEMO_PASSWORD, "csrf_token": match.group(1)}
        ).encode()
        status, _, landed = browser.request(f"{b.url}/login", data=form)
        assert status == 200 and "/login" not in landed, landed
        status, body, landed = browser.request(f"{a.url}/inbox/")
        assert status == 200 and "/login" not in landed
        assert "qsz_jbr" in body.decode() or "退出" in body.decode()

        # Evidence uploaded through one host, downloaded through the other.
        body_bytes, content_type = multipart("file", "整改.pdf", PDF)
        status, answer, _ = Browser().request(
            f"{a.url}/api/v1/tasks/{prepared.rectify_task}/files",
            data=body_bytes,
            headers={**prepared.officer, "Content-Type": content_type},
        )
        assert status == 201, answer
        status, uploaded = get_json(
            f"{b.url}/api/v1/cases/{_case_of(prepared)}/files", prepared.officer
        )
        assert status == 200
        (item,) = [f for f in uploaded["items"] if f["filename"] == "整改.pdf"]
        status, content, _ = Browser().request(
            f"{b.url}{item['download']}", headers=prepared.officer
        )
        assert status == 200 and content == PDF


def _case_of(prepared: Prepared) -> int:
    from engine.models import WorkItem

    with prepared.database.transaction() as session:
        item = session.get(WorkItem, prepared.rectify_task)
        assert item is not None
        return item.case_id


def test_sigterm_finishes_the_request_in_flight_then_stops(
    prepared: Prepared, tmp_path: Path
) -> None:
    env = environment(prepared.url, tmp_path / "host", tmp_path / "data", SECRET)
    comments = f"/api/v1/cases/{_case_of(prepared)}/comments"
    with running((serve_args(), env)) as (web,):
        answers: list[int | str] = []

        def comment() -> None:
            try:
                status, _, _ = Browser().request(
                    f"{web.url}{comments}",
                    data='{"text": "停止时正在处理的请求"}'.encode(),
                    headers={**prepared.officer, "Content-Type": "application/json"},
                )
                answers.append(status)
            except OSError as failed:
                answers.append(repr(failed))

        with _writes_held(prepared.database):
            request = threading.Thread(target=comment)
            request.start()
            time.sleep(1.0)  # the request is in the server, waiting for the database
            web.terminate()
            web.wait_for_line("正在停止", timeout=10)
            assert get_json_refused(web.url)  # no new connections once stopping
        request.join(timeout=30)
        assert answers == [201]
        assert web.wait(timeout=15) == 0
        web.wait_for_line("ykt 已停止", timeout=5)


def get_json_refused(url: str) -> bool:
    try:
        Browser().request(f"{url}/healthz", timeout=3)
    except OSError:
        return True
    return False


class _writes_held:
    """Hold the database's write lock (SQLite) or the audit log's insert lock (PostgreSQL),
    so that a request that writes waits inside the server."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def __enter__(self) -> None:
        self.conn = self.database.engine.connect()
        if self.database.dialect == "sqlite":
            self.conn.exec_driver_sql("SELECT 1")  # the begin hook says BEGIN IMMEDIATE
        else:
            self.conn.exec_driver_sql("LOCK TABLE audit_event IN EXCLUSIVE MODE")

    def __exit__(self, *_exc: object) -> None:
        self.conn.rollback()
        self.conn.close()


def test_a_stopped_worker_hands_the_lease_over_at_once(prepared: Prepared, tmp_path: Path) -> None:
    env = environment(prepared.url, tmp_path / "worker", tmp_path / "data", SECRET)
    worker = ["worker", "--interval", "1"]
    with running((worker, env), (worker, env)) as (first, second):
        holders = {p.pid: p for p in (first, second)}
        for process in (first, second):
            process.wait_for_line("调度器已启动")
        holder = _wait_for_holder(prepared.database, set(holders), timeout=30)
        # The first ticks do the most work (reports, reminders); a stopping worker finishes
        # the job at hand, so stop it once its ticks are the light ones of every second.
        _wait_for_renewals(prepared.database, 2, timeout=60)
        stopping, other = holders[holder], holders[({*holders} - {holder}).pop()]
        started = time.monotonic()
        stopping.terminate()
        assert stopping.wait(timeout=60) == 0
        exited = time.monotonic() - started
        stopping.wait_for_line("调度器已停止", timeout=5)
        taken = _wait_for_holder(prepared.database, {other.pid}, timeout=30)
        elapsed = time.monotonic() - started
        assert taken == other.pid
        # Typically 1.4 s (the signal is seen within 1 s, the other ticks every second). The
        # bound leaves room for a loaded machine yet is far below the 90 s the lease would
        # have run on had it not been given up.
        assert elapsed < 30, (
            f"the other worker took the lease after {elapsed:.1f} s (exit {exited:.1f} s)"
        )


def _wait_for_renewals(database: Database, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    seen: set[float] = set()
    while time.monotonic() < deadline:
        with database.reading() as session:
            lease = session.scalar(select(SchedulerLease))
            assert lease is not None
            seen.add(lease.expires_at.timestamp())
        if len(seen) > count:
            return
        time.sleep(0.1)
    raise AssertionError(f"the lease was not renewed {count} times within {timeout} s")


def _wait_for_holder(database: Database, pids: set[int], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with database.reading() as session:
            lease = session.scalar(select(SchedulerLease))
            if lease is not None:
                pid = int(lease.holder.split(":")[1])
                if pid in pids and lease.expires_at.timestamp() > time.time():
                    return pid
        time.sleep(0.1)
    raise AssertionError(f"none of {pids} held the lease within {timeout} s")
