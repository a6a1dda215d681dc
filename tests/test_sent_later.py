"""Writes sent with the next statement (core.sent_later): whatever the database, a write made
later is seen by every later statement of its transaction, kept by its commit, gone with its
rollback; a failing one fails its transaction with the database's error. On PostgreSQL it
waits on the connection until the next statement carries it; on SQLite it goes at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import Session

from campaign.models import Unit
from campaign.workflow_host import CampaignHost
from core import sent_later
from core.db import Database
from engine.models import Case, SchedulerLease
from tests.campaign.conftest import registered, registration
from tests.test_held_rows import counted

LEASE = cast(Table, SchedulerLease.__table__)
WHEN = datetime(2022, 6, 15, tzinfo=UTC)


def _lease(name: str) -> dict[str, object]:
    return {"name": name, "holder": "test", "expires_at": WHEN}


def _names(session: Session) -> list[str]:
    return list(session.scalars(select(LEASE.c.name).where(LEASE.c.name.like("later-%"))))


@pytest.fixture
def leases(database: Database) -> Iterator[Database]:
    yield database
    with database.transaction() as session:
        session.execute(delete(LEASE).where(LEASE.c.name.like("later-%")))


def test_writes_made_later_are_seen_in_order_and_kept_by_the_commit(leases: Database) -> None:
    with leases.transaction() as session:
        sent_later.write_later(session, insert(LEASE), _lease("later-a"))
        sent_later.write_later(session, insert(LEASE), _lease("later-b"))
        sent_later.write_later(
            session, update(LEASE).where(LEASE.c.name == "later-a"), {"holder": "changed"}
        )
        assert sorted(_names(session)) == ["later-a", "later-b"]
        sent_later.write_later(session, insert(LEASE), _lease("later-c"))  # with the COMMIT
    with leases.transaction() as session:
        assert sorted(_names(session)) == ["later-a", "later-b", "later-c"]
        holder = session.scalar(select(LEASE.c.holder).where(LEASE.c.name == "later-a"))
        assert holder == "changed"


def test_a_rollback_leaves_none_of_them_and_sends_nothing_after(leases: Database) -> None:
    with pytest.raises(RuntimeError), leases.transaction() as session:
        sent_later.write_later(session, insert(LEASE), _lease("later-a"))
        raise RuntimeError("the request failed")
    session = leases.sessions()
    sent_later.write_later(session, insert(LEASE), _lease("later-b"))
    session.close()  # never committed: the connection goes back to the pool
    for _ in range(3):  # whichever pooled connection serves them, none sends a leftover
        with leases.transaction() as session:
            assert _names(session) == []


def test_a_savepoint_rolled_back_takes_its_writes_with_it(leases: Database) -> None:
    with leases.transaction() as session:
        sent_later.write_later(session, insert(LEASE), _lease("later-kept"))
        savepoint = session.begin_nested()
        sent_later.write_later(session, insert(LEASE), _lease("later-undone"))
        savepoint.rollback()
        sent_later.write_later(session, insert(LEASE), _lease("later-after"))
    with leases.transaction() as session:
        assert sorted(_names(session)) == ["later-after", "later-kept"]


def test_a_failing_write_fails_the_statement_that_carries_it(leases: Database) -> None:
    with leases.transaction() as session:
        sent_later.write_later(session, insert(LEASE), _lease("later-a"))
    with pytest.raises(IntegrityError), leases.transaction() as session:
        sent_later.write_later(session, insert(LEASE), _lease("later-b"))
        sent_later.write_later(session, insert(LEASE), _lease("later-a"))  # already there
        _names(session)  # PostgreSQL reports it here, SQLite above
    with leases.transaction() as session:
        assert _names(session) == ["later-a"]


def test_a_failing_write_sent_with_the_commit_fails_it_as_the_databases_error(
    leases: Database,
) -> None:
    with leases.transaction() as session:
        sent_later.write_later(session, insert(LEASE), _lease("later-a"))
    with pytest.raises(IntegrityError), leases.transaction() as session:
        sent_later.write_later(session, insert(LEASE), _lease("later-b"))
        sent_later.write_later(session, insert(LEASE), _lease("later-a"))
    with leases.transaction() as session:
        assert _names(session) == ["later-a"]


def test_a_failing_write_taken_for_a_savepoints_own_error_still_fails_the_commit(
    leases: Database,
) -> None:
    """Kept writes go before a SAVEPOINT, whose error they then are: a caller that expects
    its own conflict there (`except IntegrityError` around `begin_nested`, as for a row
    another request may have inserted) catches theirs. Sent at once, the write would have
    failed the transaction; it must not be committed (rolled back unsaid) instead."""
    with leases.transaction() as session:
        sent_later.write_later(session, insert(LEASE), _lease("later-a"))
    with pytest.raises(IntegrityError), leases.transaction() as session:
        sent_later.write_later(session, insert(LEASE), _lease("later-b"))
        sent_later.write_later(session, insert(LEASE), _lease("later-a"))  # already there
        try:
            with session.begin_nested():
                session.execute(insert(LEASE), _lease("later-c"))
        except IntegrityError:
            pass  # taken for the savepoint's own conflict
    with leases.transaction() as session:
        assert _names(session) == ["later-a"]


def test_on_postgresql_a_write_waits_for_what_is_sent_next(leases: Database) -> None:
    with leases.transaction() as session:
        sent_later.write_later(session, insert(LEASE), _lease("later-a"))
    session = leases.sessions()
    try:
        if leases.dialect == "sqlite":  # sent at once: the duplicate fails at once
            with pytest.raises(IntegrityError):
                sent_later.write_later(session, insert(LEASE), _lease("later-a"))
        else:  # kept: nothing is noticed until something is sent (as before a COPY)
            sent_later.write_later(session, insert(LEASE), _lease("later-a"))
            with pytest.raises(IntegrityError):
                sent_later.send_now(session.connection())
    finally:
        session.rollback()
        session.close()


def test_flush_later_writes_what_the_flush_would(db_session: Session) -> None:
    units = list(db_session.scalars(select(Unit).where(Unit.parent_id.is_not(None)).limit(2)))
    unit, other = units
    unit.name = "改名后的单位"
    unit.parent = other
    sent_later.flush_later(db_session, unit)

    assert not db_session.is_modified(unit)
    assert unit.parent is other and unit.parent_id == other.id
    with counted(db_session) as statements:
        db_session.flush()
    assert statements == []  # the flush had nothing left to write
    stored = db_session.execute(
        select(Unit.name, Unit.parent_id)
        .where(Unit.id == unit.id)
        .execution_options(populate_existing=False)
    ).one()
    assert tuple(stored) == ("改名后的单位", other.id)


def test_a_savepoint_rolled_back_takes_back_the_values_set_later(db_session: Session) -> None:
    """As for a row the flush wrote in it: the object no longer holds what the savepoint's
    rollback undid (a case's lock_version and state, a task's completion)."""
    unit = db_session.scalars(select(Unit).where(Unit.parent_id.is_not(None)).limit(1)).one()
    before = unit.name
    savepoint = db_session.begin_nested()
    sent_later.set_later(db_session, unit, {"name": "改名后的单位"})
    assert unit.name == "改名后的单位"
    savepoint.rollback()
    assert unit.name == before


def test_flush_later_leaves_a_versioned_row_to_the_flush(db_session: Session) -> None:
    problem = registered(db_session, CampaignHost(), registration())
    case = db_session.get_one(Case, problem.case_id)
    case.error_message = "由测试写入"
    sent_later.flush_later(db_session, case)
    assert db_session.is_modified(case)  # its version is checked by the flush, as before
    with counted(db_session) as statements:
        db_session.flush()
    assert [s.split()[:2] for s in statements] == [["UPDATE", "case_instance"]]
    assert db_session.scalar(select(Case.error_message).where(Case.id == case.id)) == "由测试写入"


def test_on_a_connection_without_transactions_a_write_goes_at_once(leases: Database) -> None:
    if leases.dialect == "sqlite":  # every write goes at once there: the driver counts it
        with leases.transaction() as session:
            driver = session.connection().connection.driver_connection
            assert driver is not None
            before = driver.total_changes
            sent_later.write_later(session, insert(LEASE), _lease("later-a"))
            assert driver.total_changes == before + 1
        return
    with leases.engine.connect() as connection:
        session = Session(bind=connection.execution_options(isolation_level="AUTOCOMMIT"))
        sent_later.write_later(session, insert(LEASE), _lease("later-a"))
        with leases.transaction() as other:  # no COMMIT would have carried it
            assert _names(other) == ["later-a"]
        session.close()


def test_a_text_of_several_statements_still_goes_first_or_after_kept_writes(
    leases: Database,
) -> None:
    """A pipeline refuses a text of several statements (it sends every statement with its
    parameters): such a text goes alone, after the kept writes. SQLite's driver takes one
    statement at a time anyway."""
    several = text("SELECT 1; SELECT 2")
    if leases.dialect == "sqlite":
        with pytest.raises(ProgrammingError), leases.transaction() as session:
            session.execute(several)
        return
    with leases.transaction() as session:
        session.execute(several)  # the transaction's first statement
        sent_later.write_later(session, insert(LEASE), _lease("later-a"))
        session.execute(several)  # carries nothing: the write goes alone before it
        assert _names(session) == ["later-a"]


def test_what_the_session_holds_unflushed_goes_before_a_write_made_later(
    db_session: Session,
) -> None:
    """As through `session.execute`: an INSERT ... SELECT made later sees a row the session
    was still holding, and with autoflush off it does not."""

    def copy_of(name: str) -> Any:
        found = select(LEASE.c.name + "-copy", LEASE.c.holder, LEASE.c.expires_at)
        columns = ["name", "holder", "expires_at"]
        return insert(LEASE).from_select(columns, found.where(LEASE.c.name == name))

    db_session.add(SchedulerLease(**_lease("later-held")))
    sent_later.write_later(db_session, copy_of("later-held"))
    with db_session.no_autoflush:
        db_session.add(SchedulerLease(**_lease("later-unflushed")))
        sent_later.write_later(db_session, copy_of("later-unflushed"))
    db_session.flush()
    assert sorted(_names(db_session)) == ["later-held", "later-held-copy", "later-unflushed"]


def test_a_versioned_rows_own_pending_change_goes_before_the_values_set_later(
    db_session: Session,
) -> None:
    """A case changed through the ORM and then given its next state by `set_later` (as a
    migration's resumed case is): the flush checks the ORM's change against the version as
    loaded, then the kept write bumps it again."""
    problem = registered(db_session, CampaignHost(), registration())
    case = db_session.get_one(Case, problem.case_id)
    version = case.lock_version
    case.error_message = "由测试写入"
    sent_later.set_later(db_session, case, {"status": case.status})
    db_session.flush()
    stored = db_session.execute(
        select(Case.__table__.c.error_message, Case.__table__.c.lock_version).where(
            Case.__table__.c.id == case.id
        )
    ).one()
    assert tuple(stored) == ("由测试写入", version + 2) and case.lock_version == version + 2
