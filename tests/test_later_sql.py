"""A kept write's SQL and parameters made without an execution (core.later_sql): exactly what
SQLAlchemy's execution of the same statement gives the driver, for every kind of write the
product keeps, over random values; the statements it does not cover are executed as before."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, bindparam, create_engine, event, insert, select, text, update
from sqlalchemy.exc import (
    IntegrityError,
    InvalidRequestError,
    PendingRollbackError,
    StatementError,
)
from sqlalchemy.orm import Session

from campaign import notifications
from core import later_sql, sent_later
from core.db import Database
from engine import case_locks, cases
from engine.host import SYSTEM
from engine.models import Case, SchedulerLease, Timer, WorkItem

LEASE = cast(Table, SchedulerLease.__table__)
WHEN = datetime(2022, 6, 15, 3, 4, 5, tzinfo=UTC)
# A work item as the projection inserts it: every column given
ITEM = {
    "id": 5, "case_id": 2, "task_guid": "g", "bpmn_id": "审核", "title": "审核", "form_key": "f",
    "lane": "l", "unit_id": None, "role": "r", "state": "open", "due_at": None,
    "claimed_by": None, "claimed_at": None, "created_at": WHEN, "completed_by": None,
    "completed_at": None,
}  # fmt: skip


@contextmanager
def executed_as_usual(session: Session) -> Iterator[list[tuple[str, Any]]]:
    """What SQLAlchemy's execution hands the driver meanwhile, the statements not run."""
    handed: list[tuple[str, Any]] = []

    def hand(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        handed.append((statement, parameters))
        return True  # taken: nothing reaches the server

    engine = session.connection().engine
    session.execute(text("SELECT 1"))  # the transaction begun, nothing kept to go first
    event.listen(engine, "do_execute", hand)
    try:
        yield handed
    finally:
        event.remove(engine, "do_execute", hand)


def _as_usual(session: Session, statement: Any, values: Mapping[str, Any]) -> tuple[str, Any]:
    with executed_as_usual(session) as handed:
        session.connection().execute(statement, dict(values))
    [sent] = handed
    return sent


def _compare(session: Session, statement: Any, values: Mapping[str, Any]) -> None:
    made = later_sql.driver_write(session.get_bind().dialect, statement, values)
    if session.get_bind().dialect.name == "sqlite":
        assert made is None  # positional parameters: executed as before (and at once)
        return
    assert made == _as_usual(session, statement, values)


texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
plain = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=texts,
    title=texts,
    message=texts,
    data=st.dictionaries(texts, plain, max_size=4) | st.none(),
    at=moments,
)
def test_a_case_event_is_handed_over_as_an_execution_would(
    db_session: Session, kind: str, title: str, message: str, data: Any, at: datetime
) -> None:
    values = cases.event_values(7, kind, SYSTEM, at, title=title, data=data, message=message)
    _compare(db_session, cases._INSERT_EVENT, values)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=texts, status=texts, at=moments, later=st.none() | moments)
def test_a_row_set_later_is_handed_over_as_an_execution_would(
    db_session: Session, state: str, status: str, at: datetime, later: datetime | None
) -> None:
    values = {"state": state, "status": status, "updated_at": at, "completed_at": later}
    names = tuple(sorted(values))
    _compare(db_session, sent_later._update_of(Case.__table__, names), {**values, "row_id": 3})


@pytest.mark.parametrize(
    "statement, values",
    [
        (case_locks._LOCK_OF_ITEM, {"item_id": 12}),
        (sent_later._insert_into(WorkItem.__table__), {**ITEM, "due_at": WHEN}),
        (
            sent_later._insert_into(Timer.__table__),
            {
                **{"case_id": 2, "task_guid": "t", "bpmn_id": "b", "attached_to": "a"},
                **{"due_at": WHEN, "title": "限期", "marks_only": True, "marked_at": None},
            },
        ),
        # a literal in the statement (IS true), binds of their own types
        (
            notifications._notices_of(1, returning=False),
            {"kind": "k", "text_0": "t", "item_0": 1, "now": WHEN, "unit_0": 3, "role_0": "r"},
        ),
        # a bind whose name the SQL must write otherwise (escaped)
        (update(LEASE).values(holder=bindparam("who%s [x]")), {"who%s [x]": "甲"}),
    ],
)
def test_each_kind_of_kept_write_is_handed_over_as_an_execution_would(
    db_session: Session, statement: Any, values: dict[str, Any]
) -> None:
    _compare(db_session, statement, values)


@pytest.mark.parametrize(
    "statement, values",
    [
        # parameters expanded at execution
        (
            update(LEASE).where(LEASE.c.name.in_(bindparam("names", expanding=True))),
            {"names": ["a"], "holder": "h"},
        ),
        # a default computed in Python before the INSERT (a work item's state not given)
        (
            insert(cast(Table, WorkItem.__table__)).inline(),
            {"id": 5, "case_id": 2, "task_guid": "g"},
        ),
        # rows to give back
        (insert(LEASE).returning(LEASE.c.name), {"name": "n", "holder": "h", "expires_at": WHEN}),
    ],
)
def test_a_write_it_does_not_cover_is_left_to_the_execution(
    database: Database, statement: Any, values: dict[str, Any]
) -> None:
    assert later_sql.driver_write(database.engine.dialect, statement, values) is None


def test_a_missing_value_fails_as_an_execution_does(database: Database) -> None:
    statement = update(LEASE).values(holder=bindparam("who"))
    if database.dialect == "sqlite":
        assert later_sql.driver_write(database.engine.dialect, statement, {}) is None
        return
    with pytest.raises(InvalidRequestError, match="who"):
        later_sql.driver_write(database.engine.dialect, statement, {})


def test_statement_listeners_hear_of_each_kept_write_as_kept(db_session: Session) -> None:
    heard: list[tuple[str, bool]] = []

    def hear(_c: Any, _cur: Any, statement: str, _p: Any, context: Any, _many: bool) -> None:
        heard.append((statement.split()[0], sent_later.is_later(context)))

    connection = db_session.connection()
    event.listen(connection, "before_cursor_execute", hear)
    try:
        values = {"name": "later-sql-heard", "holder": "甲", "expires_at": WHEN}
        sent_later.write_later(db_session, insert(LEASE), values)
    finally:
        event.remove(connection, "before_cursor_execute", hear)
    assert heard == [("INSERT", True)]


def test_a_kept_write_changes_the_database_as_the_execution_did(database: Database) -> None:
    name = "later-sql-a"
    with database.transaction() as session:
        sent_later.write_later(
            session, insert(LEASE), {"name": name, "holder": "甲", "expires_at": WHEN}
        )
        sent_later.write_later(
            session,
            update(LEASE).where(LEASE.c.name == name),
            {"holder": "乙%s", "expires_at": WHEN + timedelta(hours=1)},
        )
    with database.transaction() as session:
        row = session.execute(select(LEASE).where(LEASE.c.name == name)).one()
        assert (row.holder, row.expires_at) == ("乙%s", WHEN + timedelta(hours=1))
        session.execute(LEASE.delete().where(LEASE.c.name == name))


def test_on_an_engine_whose_statements_carry_nothing_a_write_goes_at_once(
    database: Database,
) -> None:
    """An engine without core.sent_later's hooks (made by create_engine, not make_engine):
    nothing there would ever send a kept write, so it is executed, as it was before."""
    engine = create_engine(database.url)
    name = "later-sql-unhooked"
    try:
        with Session(engine) as session, session.begin():
            values = {"name": name, "holder": "甲", "expires_at": WHEN}
            sent_later.write_later(session, insert(LEASE), values)
    finally:
        engine.dispose()
    with database.transaction() as session:
        found = session.scalar(select(LEASE.c.holder).where(LEASE.c.name == name))
        session.execute(LEASE.delete().where(LEASE.c.name == name))
    assert found == "甲"


def test_a_write_in_a_savepoint_ended_inside_its_block_is_refused_as_an_execution_does(
    database: Database,
) -> None:
    with database.engine.connect() as connection, connection.begin():
        session = Session(bind=connection, join_transaction_mode="rollback_only")
        with connection.begin_nested() as savepoint:
            savepoint.commit()
            values = {"name": "later-sql-ended", "holder": "甲", "expires_at": WHEN}
            with pytest.raises(InvalidRequestError, match="closed transaction"):
                sent_later.write_later(session, insert(LEASE), values)
        connection.rollback()


def test_a_write_on_a_savepoint_whose_release_failed_is_refused_as_an_execution_does(
    database: Database,
) -> None:
    if database.dialect == "sqlite":
        return  # the failing write fails when made: no release carries it
    values = {"name": "later-sql-twice", "holder": "甲", "expires_at": WHEN}
    with database.engine.connect() as connection, connection.begin():
        session = Session(bind=connection, join_transaction_mode="rollback_only")
        savepoint = connection.begin_nested()
        sent_later.write_later(session, insert(LEASE), values)
        sent_later.write_later(session, insert(LEASE), values)  # fails with the RELEASE
        with pytest.raises(IntegrityError):
            savepoint.commit()
        with pytest.raises(PendingRollbackError):
            sent_later.write_later(session, insert(LEASE), {**values, "name": "later-sql-b"})
        connection.rollback()


def test_a_write_whose_parameters_cannot_be_made_fails_as_an_execution_does(
    db_session: Session,
) -> None:
    """SQLAlchemy's error, naming the statement, as the execution raises it (not the bare
    error of the type, or of the bind, that refused)."""
    naive = {"name": "later-sql-naive", "holder": "甲", "expires_at": datetime(2022, 6, 15)}
    with pytest.raises(StatementError, match="naive datetime") as refused:
        sent_later.write_later(db_session, insert(LEASE), naive)
    assert isinstance(refused.value.orig, ValueError)
    with pytest.raises(StatementError, match="who"):
        sent_later.write_later(db_session, update(LEASE).values(holder=bindparam("who")), {})
