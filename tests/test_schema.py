from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

import campaign.models  # noqa: F401
from campaign import audit
from campaign.models import AuditEvent
from core import schema
from core.db import Base, Database
from tests.databases import fresh_database_url


def test_migrations_build_exactly_the_schema_the_models_describe(database: Database) -> None:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
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
