"""The audit chain's end, kept by the database (migration 0038): a single new record is linked
and hashed by one statement, whose hash must be exactly the one `verify` recomputes in
Python, whatever the record holds; every kind of insert moves the end; and records removed
from the end of the log, which no later link can show, are found by it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import Session

from campaign import audit, audit_chain, audit_verify
from campaign.audit_chain import FIELDS, MissingHead, digest, plain
from campaign.models import AuditEvent, AuditHead
from core import clock, schema
from tests.audit_helpers import Env, as_attacker, five_records, opened, run
from tests.databases import fresh_database_url

# Any text a person or a client can send: Chinese, quotes, backslashes, control characters,
# characters outside the BMP; not lone surrogates, which no UTF-8 text can hold, nor NUL,
# which no PostgreSQL text column can (in this table or any other).
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=TEXT, target=TEXT, note=TEXT, agent=TEXT)
def test_the_databases_hash_is_the_one_verify_recomputes(
    db_session: Session, name: str, target: str, note: str, agent: str
) -> None:
    with db_session.begin_nested():
        with audit.client_context(audit.Client(source="web", ip="10.0.0.1", user_agent=agent)):
            record = audit.record(
                db_session, "test.any_text", actor_name=name or "x", target=target, note=note
            )
        db_session.flush()
        stored = db_session.execute(
            select(*(getattr(AuditEvent, n) for n in (*FIELDS, "hash"))).where(
                AuditEvent.id == record.id
            )
        ).one()
        values = plain(stored._mapping)
        assert stored.hash == digest(values) == record.hash
        assert json.loads(stored.detail) == {"note": note}
        end = db_session.execute(select(AuditHead.last_id, AuditHead.hash)).one()
        assert tuple(end) == (record.id, record.hash)


def test_one_new_record_is_one_statement_and_held_as_the_row_it_is(db_session: Session) -> None:
    before = audit_chain.head(db_session)
    count = db_session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    statements: list[str] = []
    connection = db_session.connection()

    def seen(_c: object, _cur: object, statement: str, *_a: object) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", seen)
    try:
        record = audit.record(db_session, "test.one", actor_name="tester", n=1)
        db_session.flush()
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert [s.split()[0] for s in statements] == ["INSERT"], statements
    assert (record.id, record.prev_hash) == (before.id + 1, before.hash)
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)) == count + 1
    assert record in db_session and not db_session.dirty and not db_session.new
    assert audit_verify.verify(db_session).broken is None


def test_several_new_records_and_bulk_ones_move_the_end(db_session: Session) -> None:
    for n in range(3):
        audit.record(db_session, "test.several", actor_name="tester", n=n)
    db_session.flush()
    rows = audit.chained(
        db_session,
        [audit.event_values("test.bulk", actor_name="t", at=clock.now(), n=n) for n in range(2)],
    )
    db_session.execute(insert(AuditEvent), rows)
    last = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert audit_chain.head(db_session) == (last.id, last.hash)
    assert audit_verify.verify(db_session).broken is None


def test_a_database_without_the_chains_end_says_so(db_session: Session) -> None:
    with pytest.raises(MissingHead, match="ykt init"), db_session.begin_nested():
        db_session.execute(text("DELETE FROM audit_head"))
        audit.record(db_session, "test.lost", actor_name="tester")
        db_session.flush()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with five_records(tmp_path) as env:
        yield env


@pytest.mark.parametrize("removed", [1, 3])
def test_records_removed_from_the_end_are_found(env: Env, removed: int) -> None:
    with opened(env["YKT_DATABASE_URL"]) as db, db.transaction() as session:
        last = audit_chain.head(session).id
    with as_attacker(env) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id > :id"), {"id": last - removed})
    result = run(env, "audit", "verify")
    assert result.exit_code == 1, result.output
    first = last - removed + 1
    missing = f"#{first}" if removed == 1 else f"#{first}–#{last}"
    assert missing in result.output and "末尾" in result.output and "删除" in result.output
    assert "Traceback" not in result.output


def test_a_record_rolled_back_with_its_savepoint_is_new_again(db_session: Session) -> None:
    """As a record the flush inserted: its values kept, no longer the session's, and the next
    record of the transaction takes its place in the chain."""
    before = audit_chain.head(db_session)
    with db_session.begin_nested() as savepoint:
        gone = audit.record(db_session, "test.rolled_back", actor_name="tester")
        db_session.flush()
        assert gone.id == before.id + 1
        savepoint.rollback()
    assert gone not in db_session and gone.id == before.id + 1 and gone.hash
    kept = audit.record(db_session, "test.kept", actor_name="tester")
    db_session.flush()
    assert kept.id == before.id + 1 and kept.prev_hash == before.hash
    assert audit_verify.verify(db_session).broken is None


def test_a_record_of_a_rolled_back_transaction_keeps_its_values(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url, opened(url) as db:
        schema.upgrade(db)
        session = db.sessions()
        try:
            record = audit.record(session, "test.rolled_back", actor_name="tester", n=1)
            session.flush()
            number = record.id
            session.rollback()
            assert record not in session
            assert (record.id, record.action, record.detail) == (
                number,
                "test.rolled_back",
                '{"n": 1}',
            )
        finally:
            session.close()


def test_an_end_moved_back_behind_the_log_is_found(env: Env) -> None:
    with as_attacker(env) as conn:
        conn.execute(text("UPDATE audit_head SET last_id = last_id - 2"))
    result = run(env, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert "audit_head" in result.output and "末端" in result.output
