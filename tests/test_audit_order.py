"""The audit log's insert order, as the database enforces it for many records at once.

On PostgreSQL the order is checked once per statement, and row by row only for an id at or
below the highest ever written (migration 0019); on SQLite row by row. Either way a record
that does not follow the last one is refused, however many come with it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from campaign import audit, audit_chain, audit_verify
from campaign.models import AuditEvent
from core import bulk, clock, schema
from core.db import Database
from tests.databases import fresh_database_url

# COPY (core.bulk, PostgreSQL) runs on the driver's connection: its errors are psycopg's.
REFUSED = (DatabaseError, psycopg.Error)


def _values(session: Session, count: int) -> list[dict[str, Any]]:
    """`count` records linked after the last one, as a bulk insert makes them."""
    at = clock.now()
    rows = [audit.event_values("test.bulk", actor_name="tester", at=at, n=n) for n in range(count)]
    return audit.chained(session, rows)


def _insert_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT statement (on PostgreSQL as on SQLite)."""
    names = list(rows[0])
    placeholders = ", ".join(
        "(" + ", ".join(f":{name}_{n}" for name in names) + ")" for n in range(len(rows))
    )
    params = {f"{name}_{n}": row[name] for n, row in enumerate(rows) for name in names}
    session.execute(
        text(f"INSERT INTO audit_event ({', '.join(names)}) VALUES {placeholders}"), params
    )


@contextmanager
def _high_water_wound_back(session: Session) -> Iterator[None]:
    """PostgreSQL: the mark set to 0, so that no row is checked on its own (as someone
    with write access could do); put back afterwards, as a sequence is not rolled back."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    mark = session.scalar(text("SELECT pg_sequence_last_value('audit_event_high_water')"))
    session.execute(text("SELECT setval('audit_event_high_water', 0)"))
    try:
        yield
    finally:
        if mark is not None:
            session.execute(text("SELECT setval('audit_event_high_water', :m)"), {"m": mark})


def test_records_in_order_go_in_together_by_copy_and_by_insert(db_session: Session) -> None:
    bulk.insert_rows(db_session, AuditEvent, _values(db_session, 300))
    _insert_many(db_session, _values(db_session, 3))
    assert audit_verify.verify(db_session).broken is None


def _copy(session: Session, rows: list[dict[str, Any]]) -> None:
    bulk.insert_rows(session, AuditEvent, rows)


@pytest.mark.parametrize("insert", [_insert_many, _copy])
@pytest.mark.parametrize("where", ["below every record", "before a later record"])
def test_one_record_out_of_order_refuses_the_whole_statement(
    db_session: Session, insert: Any, where: str
) -> None:
    """With PostgreSQL's high-water mark wound back no row is checked on its own: the
    statement's check must find it."""
    rows = _values(db_session, 3)
    with _high_water_wound_back(db_session):
        if where == "below every record":
            rows[1] = rows[1] | {"id": -5}
        else:  # a record far ahead goes in first; these would come before it
            _insert_many(db_session, [rows[2] | {"id": rows[2]["id"] + 10}])
        with pytest.raises(REFUSED, match="append-only"), db_session.begin_nested():
            insert(db_session, rows)


def test_a_record_over_an_existing_one_is_refused_as_out_of_order(db_session: Session) -> None:
    """Not by the primary key: the row check runs for an id at or below the high-water
    mark, so the refusal names the rule."""
    rows = _values(db_session, 2)
    last = audit_chain.head(db_session).id
    rows[0] = rows[0] | {"id": last}
    with pytest.raises(REFUSED, match="append-only"), db_session.begin_nested():
        _copy(db_session, rows)


def test_records_after_a_rolled_back_transaction_are_accepted(tmp_path: Path) -> None:
    """The rolled-back records raised PostgreSQL's high-water mark past the ids the next
    records get: those are checked row by row, and go in."""
    with fresh_database_url(tmp_path) as url:
        db = Database(url)
        try:
            schema.upgrade(db)
            with db.transaction() as session:
                audit.record(session, "test.event", actor_name="tester")
            with pytest.raises(RuntimeError), db.transaction() as session:
                bulk.insert_rows(session, AuditEvent, _values(session, 50))
                raise RuntimeError("rolled back")
            with db.transaction() as session:
                bulk.insert_rows(session, AuditEvent, _values(session, 20))
                audit.record(session, "test.event", actor_name="tester")
            with db.reading() as session:
                verified = audit_verify.verify(session)
            assert verified.broken is None and verified.count == 22
        finally:
            db.dispose()
