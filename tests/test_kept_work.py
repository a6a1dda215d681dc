"""Work kept through a failure (core.db.keep / keep_work: the record of a refused attempt, a
wrong password's count) stands whatever becomes of the transaction it was asked for in: done
in it when it commits, in one of its own after a rollback; once either way, and also when
the failure is the commit itself, after the kept work was already written into it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core import schema
from core.db import Database, keep, keep_work
from engine.models import SchedulerLease
from tests.databases import fresh_database_url

SOON = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    with fresh_database_url(tmp_path_factory.mktemp("kept")) as url:
        database = Database(url)
        schema.upgrade(database)
        yield database
        database.dispose()


def _leases(database: Database, holder: str) -> list[str]:
    with database.transaction() as session:
        found = session.scalars(select(SchedulerLease.name).where(SchedulerLease.holder == holder))
        return sorted(name.split(":")[1] for name in found)


def _kept(session: Session, name: str, holder: str) -> None:
    keep(
        session, SchedulerLease, {"name": f"{holder}:{name}", "holder": holder, "expires_at": SOON}
    )


def test_kept_work_is_done_once_when_the_transaction_commits(database: Database) -> None:
    with database.transaction() as session:
        _kept(session, "committed", "a")
        session.add(SchedulerLease(name="a:work", holder="a", expires_at=SOON))
    assert _leases(database, "a") == ["committed", "work"]


def test_kept_work_stands_when_the_work_fails(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction() as session:
        _kept(session, "refused", "b")
        session.add(SchedulerLease(name="b:work", holder="b", expires_at=SOON))
        session.flush()
        raise RuntimeError("refused")
    assert _leases(database, "b") == ["refused"]


def test_kept_work_written_before_a_commit_that_fails_is_done_after_the_rollback(
    database: Database, tmp_path: Path
) -> None:
    """The commit itself fails (a lock waited for too long as the last changes were sent,
    core.lock_waits): the kept work had been written into that transaction and went with
    it; it is done again in one of its own."""

    def fail_once(session: Session) -> None:
        event.remove(Session, "before_commit", fail_once)
        raise OperationalError("COMMIT", {}, Exception("canceling statement: lock timeout"))

    event.listen(Session, "before_commit", fail_once)
    try:
        with pytest.raises(OperationalError), database.transaction() as session:
            _kept(session, "kept", "c")
            session.add(SchedulerLease(name="c:work", holder="c", expires_at=SOON - timedelta(1)))
    finally:
        if event.contains(Session, "before_commit", fail_once):
            event.remove(Session, "before_commit", fail_once)
    assert _leases(database, "c") == ["kept"]


def test_kept_work_that_takes_a_savepoint_is_still_done_after_a_failed_commit(
    database: Database,
) -> None:
    """A savepoint released while the kept work is written (a row made unless another
    process made it meanwhile) is no commit of the transaction: the work is still done
    after the rollback when the commit then fails."""

    def in_a_savepoint(target: Session) -> None:
        with target.begin_nested():
            target.add(SchedulerLease(name="d:kept", holder="d", expires_at=SOON))

    def fail_once(session: Session) -> None:
        if session.in_nested_transaction():
            return  # the savepoint's release: the transaction's own commit fails
        event.remove(Session, "before_commit", fail_once)
        raise OperationalError("COMMIT", {}, Exception("canceling statement: lock timeout"))

    event.listen(Session, "before_commit", fail_once)
    try:
        with pytest.raises(OperationalError), database.transaction() as session:
            keep_work(session, in_a_savepoint)
    finally:
        if event.contains(Session, "before_commit", fail_once):
            event.remove(Session, "before_commit", fail_once)
    assert _leases(database, "d") == ["kept"]
