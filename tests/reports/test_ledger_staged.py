"""The ledger import in a transaction of its own (campaign.ledger_staged) on a real database
file or server, with real threads and processes: other writers get through while it runs,
and a failure or a killed process leaves nothing anyone can see."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from campaign import (
    audit,
    audit_verify,
    bootstrap,
    ledger_import,
    ledger_staged,
    problems,
)
from campaign.models import AuditEvent, Notification, NumberCounter, Problem
from campaign.workflow_host import CampaignHost
from core import bulk, clock, schema
from core.db import Database
from core.staging import PREFIX
from engine import cases
from engine.host import Actor
from engine.models import Case, CaseEvent, WorkItem
from tests.campaign.conftest import registration
from tests.databases import fresh_database_url
from tests.reports.conftest import user
from tests.reports.sheets import good_row, workbook

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with fresh_database_url(tmp_path_factory.mktemp("staged")) as url:
        db = Database(url)
        schema.upgrade(db)
        with db.transaction() as session:
            bootstrap.initialise(session, with_demo=True, deployed_by="tests")
        yield db
        db.dispose()


def sheet(rows: int, path: Path) -> Path:
    path.write_bytes(workbook([good_row() for _ in range(rows)]).getvalue())
    return path


def office_id(database: Database) -> int:
    with database.reading() as session:
        return user(session, "ldxz_ban").id


def visible(database: Database) -> dict[str, int]:
    """What anyone can see of imports: rows of every table an import writes, numbers taken."""
    with database.reading() as session:
        counts = {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Problem, Case, CaseEvent, WorkItem, Notification, AuditEvent)
        }
        counts["numbers"] = session.scalar(select(func.sum(NumberCounter.last))) or 0
        return counts


def assert_chain_holds(database: Database) -> None:
    with database.reading() as session:
        assert audit_verify.verify(session).broken is None


def test_a_writer_gets_through_while_an_import_runs(database: Database, tmp_path: Path) -> None:
    """A request that writes (here: an audit record, which also links into the chain) waits
    for the copy only, not for the whole import."""
    path = sheet(1500, tmp_path / "sheet.xlsx")
    first = sheet(2, tmp_path / "first.xlsx")  # cases for the writer's events to name
    ledger_staged.import_staged(database, CampaignHost(), office_id(database), first)
    before = visible(database)
    with database.reading() as session:
        reader = user(session, "ldxz_ban").id
        case_id = session.scalar(select(func.min(Case.id)))
    assert case_id is not None
    running = threading.Event()
    waits: list[float] = []
    failures: list[BaseException] = []

    def write_meanwhile() -> None:
        running.wait(60)
        while running.is_set():
            asked = time.monotonic()
            try:
                with database.transaction() as session:
                    audit.record(session, "test.concurrent_write", target="test")
                    # Rows of tables the import stages too: its ids must step over them.
                    session.add(Notification(user_id=reader, kind="test", text="meanwhile"))
                    bulk.insert_rows(
                        session,
                        CaseEvent,
                        [cases.event_values(case_id, "test", Actor(None, "test"), clock.now())],
                    )
            except BaseException as failure:
                failures.append(failure)
                return
            waits.append(time.monotonic() - asked)
            time.sleep(0.02)

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "导入":
            running.set()

    writer = threading.Thread(target=write_meanwhile)
    writer.start()
    started = time.monotonic()
    try:
        result = ledger_staged.import_staged(
            database, CampaignHost(), office_id(database), path, progress=progress
        )
    finally:
        running.clear()
        writer.join()
    took = time.monotonic() - started
    assert not failures
    assert result.ok and len(result.created) == 1500
    # Writes went on all through the build (how many fit in it depends on the machine's speed,
    # so only a few are required); the longest waited for the copy at most.
    assert len(waits) >= 3
    assert max(waits) < took / 2
    after = visible(database)
    assert after["Problem"] == before["Problem"] + 1500
    assert after["AuditEvent"] == before["AuditEvent"] + 1500 + 1 + len(waits)
    assert after["numbers"] == before["numbers"] + 1500
    assert after["Notification"] >= before["Notification"] + 1500 + len(waits)
    assert_chain_holds(database)
    # Each imported entry's case, work item and notices are its own, ids moved or not.
    with database.reading() as session:
        linked = session.execute(
            select(Problem.number, Case.subject_id, Problem.id, Notification.text)
            .join(Case, Case.id == Problem.case_id)
            .join(WorkItem, WorkItem.case_id == Case.id)
            .join(Notification, Notification.work_item_id == WorkItem.id)
            .where(Problem.number.in_(result.created))
        ).all()
    assert {number for number, *_ in linked} == set(result.created)
    assert all(subject == ident and number in text for number, subject, ident, text in linked)


def test_an_entry_registered_meanwhile_makes_the_import_build_again(
    database: Database, tmp_path: Path
) -> None:
    """The staged entries' ids and numbers are in their cases' data: when someone registers
    an entry of the same unit while the import builds, the import is built again after it,
    gap-free. (On PostgreSQL the import holds its units' number counters to its commit, as
    before, so the entry registered meanwhile is of another unit; nothing is built again.)"""
    sqlite = database.dialect == "sqlite"
    unit = "QSZ" if sqlite else "BSZ"
    path = sheet(30, tmp_path / "sheet.xlsx")
    before = visible(database)
    registered: list[str] = []
    attempts = 0

    def progress(phase: str, done: int, total: int) -> None:
        nonlocal attempts
        if phase == "导入" and done == 0:
            attempts += 1
            if not registered:
                with database.transaction() as session:
                    values = registration()
                    if unit != "QSZ":
                        values.pop("village", None)
                    entry = problems.register(
                        session, CampaignHost(), user(session, "ldxz_ban"), unit, values
                    )
                registered.append(entry.number)

    result = ledger_staged.import_staged(
        database, CampaignHost(), office_id(database), path, progress=progress
    )
    assert result.ok and attempts == (2 if sqlite else 1)
    first = int(result.created[0].rsplit("-", 1)[1])
    assert result.created == [f"{result.created[0][:-4]}{first + n:04d}" for n in range(30)]
    if sqlite:
        assert first == int(registered[0].rsplit("-", 1)[1]) + 1
    assert visible(database)["numbers"] == before["numbers"] + 31
    assert_chain_holds(database)


def test_a_failure_while_building_or_copying_leaves_nothing(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sheet(2500, tmp_path / "sheet.xlsx")  # two batches
    before = visible(database)

    def fail_second_batch(phase: str, done: int, total: int) -> None:
        if phase == "导入" and 0 < done < total:
            raise RuntimeError("断电")

    with pytest.raises(RuntimeError, match="断电"):
        ledger_staged.import_staged(
            database, CampaignHost(), office_id(database), path, progress=fail_second_batch
        )
    assert visible(database) == before

    # The rows are in, the numbers taken, the audit records linked: then the last step fails.
    def failing_record(*_args: object) -> None:
        raise RuntimeError("写入中断")

    monkeypatch.setattr(ledger_staged, "record_import", failing_record)
    monkeypatch.setattr(ledger_import, "record_import", failing_record)  # PostgreSQL's way
    with pytest.raises(RuntimeError, match="写入中断"):
        ledger_staged.import_staged(database, CampaignHost(), office_id(database), path)
    assert visible(database) == before
    assert_chain_holds(database)
    with database.apart() as connection:
        staged = connection.exec_driver_sql(
            "SELECT name FROM sqlite_temp_master"
            if connection.dialect.name == "sqlite"
            else "SELECT tablename FROM pg_tables WHERE schemaname LIKE 'pg_temp%%'"
        ).all()
        assert not [name for (name,) in staged if name.startswith(PREFIX)]


CHILD = """
import sys, time
from core.db import Database
from campaign.ledger_staged import import_staged
from campaign.workflow_host import CampaignHost

url, user_id, path, stop_at = sys.argv[1:5]
parts = 0

def say(text):
    print(text, flush=True)
    if text == stop_at:
        time.sleep(600)  # killed here

def progress(phase, done, total):
    global parts
    if phase == "写入":
        parts += 1
        if parts == 3:
            say("copying")  # the first parts are in, others to come
    say(f"{phase} {done}")

import_staged(Database(url), CampaignHost(), int(user_id), path, progress=progress)
say("done")
"""


@pytest.mark.parametrize("late", [False, True])
def test_a_killed_import_leaves_nothing(database: Database, tmp_path: Path, late: bool) -> None:
    """Killed while building (on SQLite nothing is written yet) or late: on SQLite between
    the parts of the copy (rows of the import committed, hidden: tests/reports/
    test_ledger_parts.py), after the last batch on PostgreSQL. Nothing of it is seen
    afterwards, and the next import takes the numbers it would have taken."""
    sqlite = database.dialect == "sqlite"
    stop_at = ("copying" if sqlite else "导入 2500") if late else "导入 2000"
    path = sheet(2500, tmp_path / "sheet.xlsx")
    before = visible(database)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, database.url, str(office_id(database)), str(path), stop_at],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == stop_at:
            break
    else:
        child.stdout.close()
        pytest.fail(f"the import ended without reaching {stop_at!r}")
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    child.stdout.close()
    assert visible(database) == before
    assert_chain_holds(database)
    result = ledger_staged.import_staged(database, CampaignHost(), office_id(database), path)
    assert result.ok and visible(database)["numbers"] == before["numbers"] + 2500
    assert_chain_holds(database)


def test_an_import_that_keeps_meeting_registrations_ends_in_one_transaction(
    database: Database, tmp_path: Path
) -> None:
    """Each staged build is made stale by an entry registered meanwhile: after ATTEMPTS the
    import runs in one write transaction, and still takes the numbers after theirs."""
    sqlite = database.dialect == "sqlite"
    unit = "QSZ" if sqlite else "BSZ"
    path = sheet(20, tmp_path / "sheet.xlsx")
    registered: list[str] = []
    attempts = 0

    def progress(phase: str, done: int, total: int) -> None:
        nonlocal attempts
        if phase == "导入" and done == 0:
            attempts += 1
            if attempts <= ledger_staged.ATTEMPTS and (sqlite or not registered):
                with database.transaction() as session:
                    values = registration()
                    if unit != "QSZ":
                        values.pop("village", None)
                    entry = problems.register(
                        session, CampaignHost(), user(session, "ldxz_ban"), unit, values
                    )
                registered.append(entry.number)

    result = ledger_staged.import_staged(
        database, CampaignHost(), office_id(database), path, progress=progress
    )
    assert result.ok and attempts == (ledger_staged.ATTEMPTS + 1 if sqlite else 1)
    if sqlite:
        assert int(result.created[0][-4:]) == int(registered[-1][-4:]) + 1
    assert_chain_holds(database)
