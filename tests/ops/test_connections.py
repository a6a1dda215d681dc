"""Connections between requests (PostgreSQL): none idle in a transaction, a terminated backend
costs no request; and a killed `ykt backup` leaves no pg_dump behind."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from campaign.demo import DEMO_PASSWORD
from core import pool_check
from core.config import Settings
from core.db import POOL_RECYCLE_SECONDS, Database
from tests.databases import backend_name
from tests.ops.conftest import Prepared
from tests.ops.processes import ROOT, environment
from tests.web_helpers import login
from web import create_app

PAGES = ["/", "/inbox/", "/ledger", "/notifications/", "/healthz", "/readyz"]


def _client(prepared: Prepared, tmp_path: Path) -> FlaskClient:
    settings = Settings(tmp_path, prepared.url, tmp_path / "data", "conns-" + "x" * 24)
    client = create_app(database=prepared.database, settings=settings).test_client()
    assert login(client, "qsz_jbr", DEMO_PASSWORD).status_code == 302
    return client


if backend_name() == "postgresql":

    def test_pooled_connections_are_checked_and_recycled(prepared: Prepared) -> None:
        pool = prepared.database.engine.pool
        assert event.contains(pool, "checkout", pool_check.check_alive)
        assert not pool._pre_ping  # the check above replaces its round trip
        assert pool._recycle == POOL_RECYCLE_SECONDS

    def test_a_live_pooled_connection_is_handed_out_without_a_word_to_the_server(
        prepared: Prepared, tmp_path: Path
    ) -> None:
        pinged = _checkout_traced(Database(prepared.url, pool_pre_ping=True), tmp_path / "p")
        assert "\tQuery\t" in pinged  # the trace sees what a checkout says (its ping)
        assert _checkout_traced(Database(prepared.url), tmp_path / "q") == ""

    def test_a_pooled_connection_with_a_notification_waiting_is_kept(prepared: Prepared) -> None:
        database = Database(prepared.url)
        try:
            with database.engine.connect() as conn:
                listening = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
                conn.execute(text("LISTEN ykt_pool_check"))
                conn.commit()
                driver = conn.connection.driver_connection
            with _observer(prepared) as observer:
                observer.execute(text("NOTIFY ykt_pool_check"))
                observer.commit()
            _wait_readable(driver)
            with database.engine.connect() as conn:
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == listening
                assert conn.connection.driver_connection is driver
        finally:
            database.dispose()

    def test_a_terminated_pooled_connection_is_replaced_at_checkout(prepared: Prepared) -> None:
        database = Database(prepared.url)
        try:
            with database.engine.connect() as conn:
                killed = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with _observer(prepared) as observer:
                # waits until the backend is gone, as "between requests" means
                assert observer.execute(
                    text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": killed}
                ).scalar_one()
            with database.engine.connect() as conn:
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != killed
        finally:
            database.dispose()

    def test_a_backend_told_to_end_just_before_a_transaction_costs_it_nothing(
        prepared: Prepared,
    ) -> None:
        """pg_terminate_backend returns once it has signalled the backend, not when it has
        gone: a transaction right after may get the dying connection (its socket still
        quiet), whose first statement then runs again on a new one."""
        database = Database(prepared.url)
        pids = set()
        try:
            with _observer(prepared) as observer:
                for _ in range(60):
                    with database.transaction() as session:
                        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                    observer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                    with database.transaction() as session:
                        pids.add(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
                    with database.reading() as session:  # its connection taken before
                        assert session.execute(text("SELECT 1")).scalar_one() == 1
                    database.check()
        finally:
            database.dispose()
        assert len(pids) == 60  # a new backend each time

    def test_a_connection_lost_after_a_transactions_first_statement_fails_it(
        prepared: Prepared,
    ) -> None:
        """Only a first statement is run again: after one, the transaction has done something
        that a new connection would not have, and the loss is its failure."""
        database = Database(prepared.url)
        try:
            with pytest.raises(OperationalError) as failed, database.transaction() as session:
                pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
                session.execute(text("CREATE TEMPORARY TABLE lost (n integer)"))
                with _observer(prepared) as observer:
                    observer.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid})
                session.execute(text("INSERT INTO lost VALUES (1)"))
            assert failed.value.connection_invalidated
            with database.transaction() as session:  # the pool goes on with a new one
                assert session.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
        finally:
            database.dispose()

    def test_no_connection_is_left_idle_in_a_transaction(
        prepared: Prepared, tmp_path: Path
    ) -> None:
        client = _client(prepared, tmp_path)
        for page in PAGES * 2:
            assert client.get(page).status_code == 200, page
        assert client.get("/no-such-page").status_code == 404
        with _observer(prepared) as observer:
            states = (
                observer.execute(
                    text(
                        "SELECT state FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                .scalars()
                .all()
            )
        assert states, "the requests left no pooled connection to look at"
        assert all(state == "idle" for state in states), states

    def test_a_backend_terminated_between_requests_costs_no_request(
        prepared: Prepared, tmp_path: Path
    ) -> None:
        client = _client(prepared, tmp_path)
        for page in PAGES:
            assert client.get(page).status_code == 200, page
        with _observer(prepared) as observer:
            killed = observer.execute(
                text(
                    # not waited for: the requests may come while the backends still go
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        assert killed >= 1
        for page in PAGES * 2:
            assert client.get(page).status_code == 200, page

    def test_a_killed_backup_leaves_no_pg_dump_running(prepared: Prepared, tmp_path: Path) -> None:
        for how in (signal.SIGKILL, signal.SIGTERM):
            out = tmp_path / how.name
            with _observer(prepared) as blocker:
                # pg_dump waits for this lock, so it is surely running when its parent dies.
                blocker.execute(text("LOCK TABLE audit_event IN ACCESS EXCLUSIVE MODE"))
                backup = _start_backup(prepared, tmp_path, out)
                try:
                    dump = _child_named(backup, "pg_dump", timeout=30)
                    os.kill(backup.pid, how)
                    backup.wait(timeout=15)
                    _wait_gone(dump, timeout=5)
                finally:
                    if backup.poll() is None:
                        backup.kill()
                        backup.wait()
                blocker.rollback()
            if how == signal.SIGTERM:
                assert backup.returncode == 1
                assert "备份已中断" in (backup.stderr.read() if backup.stderr else "")
                assert list(out.iterdir()) == []  # the half-written directory is gone
            if backup.stderr is not None:
                backup.stderr.close()
            with _observer(prepared) as observer:
                dumps = observer.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE application_name = 'pg_dump' AND datname = current_database()"
                    )
                ).scalar_one()
            assert dumps == 0, how.name


class _observer:
    """A connection of its own, outside the application's pool."""

    def __init__(self, prepared: Prepared) -> None:
        self.database = Database(prepared.url, poolclass=None)

    def __enter__(self) -> Connection:
        self.conn = self.database.engine.connect()
        return self.conn

    def __exit__(self, *_exc: object) -> None:
        self.conn.close()
        self.database.dispose()


def _checkout_traced(database: Database, trace: Path) -> str:
    """What a checkout of a connection back in the pool sends to the server (libpq's trace)."""
    try:
        raw = database.engine.raw_connection()
        driver: Any = raw.driver_connection
        raw.close()  # into the pool, idle
        with trace.open("w") as out:
            driver.pgconn.trace(out.fileno())
            again = database.engine.raw_connection()
            driver.pgconn.untrace()
        assert again.driver_connection is driver
        again.close()
        return trace.read_text()
    finally:
        database.dispose()


def _wait_readable(driver: Any, timeout: float = 5) -> None:
    poller = select.poll()
    poller.register(driver.fileno(), select.POLLIN)
    assert poller.poll(timeout * 1000), "the notification never reached the socket"


def _start_backup(prepared: Prepared, tmp_path: Path, out: Path) -> subprocess.Popen[str]:
    env = environment(prepared.url, tmp_path / "instance", tmp_path / "data", "b" * 40)
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "backup", "-o", str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _child_named(parent: subprocess.Popen[str], name: str, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children")
    while time.monotonic() < deadline:
        for pid in children.read_text().split() if children.exists() else []:
            if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                return int(pid)
        time.sleep(0.05)
    raise AssertionError(f"{name} never started under {parent.pid}")


def _wait_gone(pid: int, timeout: float) -> None:
    """Gone, or a zombie that nothing reaps (it runs and writes no more)."""
    deadline = time.monotonic() + timeout
    stat = Path(f"/proc/{pid}/stat")
    while time.monotonic() < deadline:
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return
        except FileNotFoundError:
            return
        time.sleep(0.05)
    raise AssertionError(f"pg_dump {pid} still runs after its parent died")
