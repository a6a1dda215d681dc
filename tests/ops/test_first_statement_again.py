"""A transaction's first statement run again on a new connection (core.pool_check) when its
pooled connection turns out dead: what the session held before it must not be lost.

The dead connection is one whose backend ended while its socket still looked quiet at
checkout (pool_check's race, made certain here by leaving the checkout's poll out)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import delete, event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from campaign.models import Unit
from core import pool_check
from core.db import Database
from engine.models import SchedulerLease
from tests.databases import backend_name

WHEN = datetime(2022, 6, 15, tzinfo=UTC)


@contextmanager
def _own(database: Database) -> Iterator[Database]:
    """A Database of the test's own on the suite's database (its pool, its checks)."""
    own = Database(database.url)
    try:
        yield own
    finally:
        with database.transaction() as session:
            session.execute(delete(SchedulerLease).where(SchedulerLease.name.like("again-%")))
        own.dispose()


def _kill_pooled(database: Database, session: Session) -> None:
    """End the backend of the session's connection, which then goes back to the pool, and
    leave the checkout's poll out: the next checkout hands out the dead connection."""
    pid = session.scalar(text("SELECT pg_backend_pid()"))
    session.commit()
    observer = Database(database.url, poolclass=None)
    try:
        with observer.engine.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid})
    finally:
        observer.dispose()
    event.remove(database.engine.pool, "checkout", pool_check.check_alive)


def _lease(name: str) -> SchedulerLease:
    return SchedulerLease(name=name, holder="test", expires_at=WHEN)


def _holder(database: Database, name: str) -> str | None:
    event.listen(database.engine.pool, "checkout", pool_check.check_alive)
    with database.transaction() as session:
        return session.scalar(select(SchedulerLease.holder).where(SchedulerLease.name == name))


def _test_a_row_added_before_the_first_statement_is_not_lost(database: Database) -> None:
    """The first statement's autoflush writes the row on the dead connection; the statement
    run again after a rollback (which expunges pending rows) committed without it."""
    with _own(database) as db:
        with db.transaction() as session:
            _kill_pooled(db, session)
        try:
            with db.transaction() as session:
                session.add(_lease("again-pending"))
                assert session.scalars(select(Unit.id).limit(1)).first() is not None
        except DBAPIError as exc:  # failing the transaction is sound too
            assert exc.connection_invalidated
            return
        assert _holder(db, "again-pending") == "test", "committed without the row it added"


def _test_a_change_made_before_the_first_statement_is_not_lost(database: Database) -> None:
    """A session used for a second transaction (as a request's may be): an object loaded
    before, changed, then the first statement; the rollback expired the change."""
    with _own(database) as db:
        with db.transaction() as session:
            session.add(_lease("again-changed"))
        session = db.sessions()
        try:
            lease = session.get_one(SchedulerLease, "again-changed")
            _kill_pooled(db, session)  # expire_on_commit=False: the lease stays loaded
            lease.holder = "changed"
            try:
                assert session.scalars(select(Unit.id).limit(1)).first() is not None
                session.commit()
            except DBAPIError as exc:  # failing the transaction is sound too
                assert exc.connection_invalidated
                return
        finally:
            session.close()
        assert _holder(db, "again-changed") == "changed", "committed without the change"


# Collected on PostgreSQL only, where ids are drawn ahead and connections checked
# (a skip would fail the suite's run).
if backend_name() == "postgresql":
    test_a_row_added_before_the_first_statement_is_not_lost = (
        _test_a_row_added_before_the_first_statement_is_not_lost
    )
    test_a_change_made_before_the_first_statement_is_not_lost = (
        _test_a_change_made_before_the_first_statement_is_not_lost
    )
