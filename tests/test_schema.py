from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

import campaign.models  # noqa: F401
from campaign import audit
from campaign.models import AuditAnchor, AuditEvent, AuditPermit
from core import schema
from core.db import Base, Database
from tests.databases import fresh_database_url


# Alembic cannot read an index on an expression back from SQLite, where the models make none.
@pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index"
    " 'ix_problem_number_prefix'; dialect 'sqlite'"
)
def test_migrations_build_exactly_the_schema_the_models_describe(database: Database) -> None:
    with database.engine.connect() as conn:
        # Objects the models make on one kind of database only are compared there alone.
        opts = {"compare_type": True, "include_object": schema.only_for(conn.dialect.name)}
        context = MigrationContext.configure(conn, opts=opts)
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_schema_is_at_the_head_revision(database: Database) -> None:
    assert schema.current_revision(database) == schema.head_revision()


def test_every_migration_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        db = Database(url)
        try:
            schema.upgrade(db)
            schema.downgrade(db, "base")
            assert schema.current_revision(db) is None
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            schema.upgrade(db)
            assert "unit" in inspect(db.engine).get_table_names()
        finally:
            db.dispose()


def test_audit_record_cannot_be_changed_or_deleted(db_session: Session) -> None:
    event = audit.record(db_session, "test.event", actor_name="tester")
    db_session.flush()
    with pytest.raises(DatabaseError, match="append-only"), db_session.begin_nested():
        db_session.execute(
            text("UPDATE audit_event SET action = 'forged' WHERE id = :id"), {"id": event.id}
        )
    with pytest.raises(DatabaseError, match="append-only"), db_session.begin_nested():
        db_session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": event.id})
    stored = db_session.scalar(select(AuditEvent.action).where(AuditEvent.id == event.id))
    assert stored == "test.event"


def test_connections_are_set_up_for_their_backend(database: Database) -> None:
    """SQLite runs with WAL and enforced foreign keys; PostgreSQL goes through psycopg 3."""
    with database.engine.connect() as conn:
        if database.dialect == "sqlite":
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        else:
            assert database.engine.dialect.driver == "psycopg"
            assert conn.execute(text("SHOW TimeZone")).scalar() is not None


def _copy_of(event: AuditEvent, **changes: object) -> dict[str, object]:
    columns = [c.key for c in AuditEvent.__table__.columns]
    return {name: getattr(event, name) for name in columns} | changes


def _insert_sql(values: dict[str, object], verb: str = "INSERT", tail: str = "") -> str:
    names = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    return f"{verb} INTO audit_event ({names}) VALUES ({params}) {tail}"


def test_an_audit_record_cannot_be_rewritten_by_inserting_over_it(db_session: Session) -> None:
    """SQLite's REPLACE deletes the row it conflicts with without firing DELETE triggers
    (unless recursive_triggers is on); an upsert updates it. Both are refused."""
    event = audit.record(db_session, "test.event", actor_name="tester", n=1)
    db_session.flush()
    forged = _copy_of(event, detail='{"n": 2}')
    statements = [_insert_sql(forged, tail="ON CONFLICT (id) DO UPDATE SET detail = 'forged'")]
    if db_session.get_bind().dialect.name == "sqlite":
        statements += [_insert_sql(forged, "REPLACE"), _insert_sql(forged, "INSERT OR REPLACE")]
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), db_session.begin_nested():
            db_session.execute(text(statement), forged)
    db_session.expire_all()
    assert db_session.scalar(select(AuditEvent.detail).where(AuditEvent.id == event.id)) == (
        '{"n": 1}'
    )


def test_a_new_audit_record_must_follow_the_last_one(db_session: Session) -> None:
    event = audit.record(db_session, "test.event", actor_name="tester")
    db_session.flush()
    for record_id in (event.id, event.id - 1, None):
        values = _copy_of(event, id=record_id)
        if record_id is None:
            del values["id"]
        with pytest.raises(DatabaseError, match="append-only"), db_session.begin_nested():
            db_session.execute(text(_insert_sql(values)), values)


def test_only_a_permit_lets_audit_records_be_deleted_and_only_those_it_covers(
    db_session: Session,
) -> None:
    first = audit.record(db_session, "test.event", actor_name="tester")
    second = audit.record(db_session, "test.event", actor_name="tester")
    db_session.flush()
    permit = AuditPermit(up_to_id=first.id)
    db_session.add(permit)
    db_session.flush()
    with pytest.raises(DatabaseError, match="append-only"), db_session.begin_nested():
        db_session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": second.id})
    with db_session.begin_nested():
        db_session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": first.id})
    db_session.delete(permit)
    db_session.flush()
    remaining = set(db_session.scalars(select(AuditEvent.id).where(AuditEvent.id >= first.id)))
    assert remaining == {second.id}
    with pytest.raises(DatabaseError, match="append-only"), db_session.begin_nested():
        db_session.execute(
            text("UPDATE audit_event SET action = 'x' WHERE id = :id"), {"id": second.id}
        )
    if db_session.get_bind().dialect.name == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), db_session.begin_nested():
            db_session.execute(text("TRUNCATE audit_event CASCADE"))


def test_an_archive_anchor_cannot_be_changed(db_session: Session) -> None:
    anchor = AuditAnchor(archived_to_id=0, hash="0" * 64, count=0, archive_file="x.jsonl")
    db_session.add(anchor)
    db_session.flush()
    with pytest.raises(DatabaseError, match="append-only"), db_session.begin_nested():
        db_session.execute(
            text("UPDATE audit_anchor SET hash = 'f' WHERE id = :id"), {"id": anchor.id}
        )
    with pytest.raises(DatabaseError, match="append-only"), db_session.begin_nested():
        db_session.execute(text("DELETE FROM audit_anchor WHERE id = :id"), {"id": anchor.id})
