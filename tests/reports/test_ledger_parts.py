"""The ledger import's copy in parts on SQLite (core.staged_parts), with real threads and
processes on a database file: a writer waits for one part at most, readers see the tables
as before the import or after it and never between, a process killed between parts leaves
rows no one sees and the next import removes them, and an entry registered while the parts
are copied keeps its number and makes the import build again after it."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased

from campaign import audit, bootstrap, jobs, ledger_staged, problems
from campaign.models import Problem, StagedImport
from campaign.workflow_host import CampaignHost
from core import bulk, clock, import_marks, schema, staged_parts
from core.db import Database
from engine.models import Case
from tests.campaign.conftest import registration
from tests.reports.conftest import user
from tests.reports.test_ledger_staged import (
    CHILD,
    ROOT,
    assert_chain_holds,
    office_id,
    sheet,
    visible,
)

TABLES = ("problem", "case_instance", "case_event", "work_item", "notification")


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A SQLite file whatever database the suite runs on: the copy in parts is SQLite's
    (PostgreSQL imports in one transaction, its writers never waiting for the import)."""
    path = tmp_path_factory.mktemp("parts") / "ykt.sqlite3"
    db = Database(f"sqlite:///{path}")
    schema.upgrade(db)
    with db.transaction() as session:
        bootstrap.initialise(session, with_demo=True, deployed_by="tests")
    yield db
    db.dispose()


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(staged_parts, "PART_ROWS", 400)
    monkeypatch.setattr(staged_parts, "PART_S", 0)  # parts of 400 rows, however fast
    return 400


def stored(database: Database) -> dict[str, int]:
    """Rows of the tables an import writes as the file holds them, hidden ones included."""
    with database.engine.connect() as connection:
        return {
            name: connection.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
            for name in (*TABLES, "staged_import")
        }


def seen_by_a_writer(database: Database) -> int:
    """The entries a write transaction sees (it holds the write lock from its BEGIN)."""
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(Problem)) or 0


def marked(database: Database) -> list[str]:
    """The marks of imports under way beside the database file."""
    with database.engine.connect() as connection:
        marks = import_marks.marks_of(connection)
    assert marks is not None
    return sorted(p.name for p in marks.iterdir()) if marks.exists() else []


def test_a_writer_waits_for_one_part_at_most(
    database: Database, tmp_path: Path, small_parts: int
) -> None:
    path = sheet(1500, tmp_path / "sheet.xlsx")  # 1,500 entries: about 7,500 rows, 20 parts
    copying = threading.Event()
    steps: list[float] = []
    waits: list[float] = []
    failures: list[BaseException] = []

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "写入":
            steps.append(time.monotonic())
            copying.set()

    before = seen_by_a_writer(database)
    entries: set[int] = set()

    def write_meanwhile() -> None:
        copying.wait(120)
        while copying.is_set():
            asked = time.monotonic()
            try:
                with database.transaction() as session:
                    audit.record(session, "test.concurrent_write", target="test")
                    # A writer skips reading the imports under way when none is marked:
                    # it must still see the entries as before the import or after it.
                    entries.add(session.scalar(select(func.count()).select_from(Problem)) or 0)
            except BaseException as failure:
                failures.append(failure)
                return
            waits.append(time.monotonic() - asked)
            time.sleep(0.01)

    writer = threading.Thread(target=write_meanwhile)
    writer.start()
    try:
        result = ledger_staged.import_staged(
            database, CampaignHost(), office_id(database), path, progress=progress
        )
        steps.append(time.monotonic())
    finally:
        copying.clear()
        writer.join()
    assert not failures
    assert result.ok and len(steps) > 10
    assert entries <= {before, before + 1500} and before in entries, entries
    assert not marked(database)
    copy = steps[-1] - steps[0]
    longest_step = max(b - a for a, b in itertools.pairwise(steps))
    # Writes went on all through the copy, each waiting for one part (or the last
    # transaction) at most, not for the whole copy.
    assert len(waits) >= 5
    assert max(waits) <= longest_step + 0.5
    assert max(waits) < copy / 3
    assert_chain_holds(database)


def test_readers_see_the_tables_before_the_import_or_after_never_between(
    database: Database, tmp_path: Path, small_parts: int
) -> None:
    path = sheet(1200, tmp_path / "sheet.xlsx")
    before = visible(database)
    copying = threading.Event()
    done = threading.Event()
    seen: list[dict[str, int]] = []

    def progress(phase: str, done_rows: int, total: int) -> None:
        if phase == "写入":
            copying.set()

    def read_meanwhile() -> None:
        copying.wait(120)
        while not done.is_set():
            seen.append(visible(database))
        seen.append(visible(database))

    reader = threading.Thread(target=read_meanwhile)
    reader.start()
    try:
        result = ledger_staged.import_staged(
            database, CampaignHost(), office_id(database), path, progress=progress
        )
    finally:
        copying.set()
        done.set()
        reader.join()
    after = visible(database)
    assert result.ok and after["Problem"] == before["Problem"] + 1200
    assert len(seen) >= 5
    assert all(counts in (before, after) for counts in seen), [
        counts for counts in seen if counts not in (before, after)
    ][:1]
    assert before in seen  # the reader did read while the parts were copied
    assert stored(database)["staged_import"] == 0


@pytest.mark.parametrize("cleaned_by", ["the next import", "the scheduler"])
def test_a_process_killed_between_parts_leaves_rows_no_one_sees_and_the_next_import_removes_them(
    database: Database, tmp_path: Path, small_parts: int, cleaned_by: str
) -> None:
    path = sheet(2500, tmp_path / "sheet.xlsx")
    before, rows_before = visible(database), stored(database)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, database.url, str(office_id(database)), str(path), "copying"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == "copying":
            break
    else:
        child.stdout.close()
        pytest.fail("the import ended without copying in parts")
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    child.stdout.close()
    left = stored(database)
    assert left["staged_import"] == 1 and left["problem"] > rows_before["problem"]
    assert visible(database) == before  # there, and no one sees them
    assert seen_by_a_writer(database) == before["Problem"]  # its mark stays with its rows
    with database.reading() as session:
        newest = session.scalar(select(func.max(Problem.id)))
        assert session.get(Problem, (newest or 0) + 1) is None
    assert_chain_holds(database)

    if cleaned_by == "the scheduler":
        assert jobs.discard_abandoned_imports(database) == 1
        assert stored(database) == rows_before
        assert visible(database) == before
        assert not marked(database)
    result = ledger_staged.import_staged(database, CampaignHost(), office_id(database), path)
    assert result.ok
    after, rows_after = visible(database), stored(database)
    assert after["numbers"] == before["numbers"] + 2500  # the numbers it would have taken
    assert after["Problem"] == before["Problem"] + 2500
    assert rows_after["staged_import"] == 0
    assert rows_after["problem"] == rows_before["problem"] + 2500  # the killed rows are gone
    assert not marked(database)
    assert_chain_holds(database)


def test_an_entry_registered_while_the_parts_are_copied_keeps_its_number(
    database: Database, tmp_path: Path, small_parts: int
) -> None:
    """The staged entries' numbers are held under a prefix while copied: an entry registered
    meanwhile takes the next number at once, and the import, refused at its last
    transaction, is built again after it, gap-free."""
    path = sheet(600, tmp_path / "sheet.xlsx")
    before = visible(database)
    registered: list[str] = []
    took: list[float] = []
    copies = 0

    def progress(phase: str, done: int, total: int) -> None:
        nonlocal copies
        if phase == "写入" and done == total:
            copies += 1
        if phase == "写入" and 0 < done < total and not registered:
            asked = time.monotonic()
            with database.transaction() as session:
                entry = problems.register(
                    session, CampaignHost(), user(session, "ldxz_ban"), "QSZ", registration()
                )
            took.append(time.monotonic() - asked)
            registered.append(entry.number)

    result = ledger_staged.import_staged(
        database, CampaignHost(), office_id(database), path, progress=progress
    )
    assert result.ok and copies == 2 and len(result.created) == 600
    first = int(result.created[0].rsplit("-", 1)[1])
    assert first == int(registered[0].rsplit("-", 1)[1]) + 1
    assert visible(database)["numbers"] == before["numbers"] + 601
    assert stored(database)["staged_import"] == 0
    assert_chain_holds(database)


def test_every_kind_of_orm_statement_leaves_the_hidden_rows_out(
    database: Database, tmp_path: Path
) -> None:
    """What `hide_parts` covers: whatever shape a statement of the mapped classes takes. Only
    the next-id lookup sees the rows, so that no one takes the ids of an import's range."""
    path = sheet(6, tmp_path / "sheet.xlsx")
    ledger_staged.import_staged(database, CampaignHost(), office_id(database), path)
    with database.reading() as session:
        ids = sorted(session.scalars(select(Problem.id)))
        counted = session.scalar(select(func.count(Case.id)))
    assert len(ids) >= 4 and counted
    hidden = ids[: len(ids) // 2]
    shown = len(ids) - len(hidden)
    with database.transaction() as session:
        record = StagedImport(
            ranges=json.dumps({"problem": [hidden[0], hidden[-1]]}),
            host="elsewhere",
            pid=1,
            touched_at=clock.now(),
        )
        session.add(record)
        session.flush()
        import_marks.mark(session.connection(), record.id)  # as every import makes one
    try:
        with database.reading() as session:
            alias = aliased(Problem)
            assert session.scalar(select(func.count()).select_from(Problem)) == shown
            assert session.scalar(select(func.count(alias.id))) == shown
            inner = select(Problem.id).subquery()
            assert session.scalar(select(func.count()).select_from(inner)) == shown
            joined = select(func.count(Case.id)).join(Problem, Problem.case_id == Case.id)
            assert session.scalar(joined) == shown
            # (A bare `exists().where(...)` names no entity and is not covered: hidden rows
            # only reference each other, so asking whether one refers to a shown row is safe.)
            entry = select(Problem.id).where(Problem.case_id == Case.id).exists()
            assert session.scalar(select(func.count(Case.id)).where(entry)) == shown
            assert session.get(Problem, hidden[0]) is None
            assert session.get(Problem, ids[-1]) is not None
            assert bulk.reserve_ids(session, Problem, 1) == [max(ids) + 1]
        with database.transaction() as session:
            changed = session.execute(update(Problem).values(responsible_person="改"))
            assert changed.rowcount == shown  # type: ignore[attr-defined]
            session.rollback()
        # An import elsewhere, touched recently: the clean-up leaves it alone.
        assert jobs.discard_abandoned_imports(database) == 0
    finally:
        with database.transaction() as session:
            session.execute(delete(StagedImport).where(StagedImport.id == record.id))
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Problem)) == len(ids)


def test_a_mark_left_by_an_import_that_never_committed_is_removed(database: Database) -> None:
    """A process killed between making its mark and committing its record leaves a mark only:
    the scheduler's clean-up removes it (under the write lock, so never the mark of an import
    about to commit), and writers stop reading the records for nothing."""
    with database.engine.connect() as connection:
        import_marks.mark(connection, 4242)
    assert "4242" in marked(database)
    jobs.discard_abandoned_imports(database)
    assert "4242" not in marked(database)
