"""Migration 0040: the partial index of the entries that count, by campaign and unit, is made
on both databases (voided entries left out of it) and taken away on the way back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from core import schema
from core.db import Database
from tests.databases import fresh_database_url, index_names

LIVE = "ix_problem_campaign_unit_live"


def _definition(db: Database) -> str:
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
        return str(conn.scalar(text(query), {"name": LIVE}))


def test_upgrade_and_downgrade_of_the_live_entries_index(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        db = Database(url)
        try:
            schema.upgrade(db, "0039")
            before = index_names(db, "problem")
            assert LIVE not in before
            schema.upgrade(db, "0040")
            assert index_names(db, "problem") == before | {LIVE}
            definition = " ".join(_definition(db).replace('"', "").split())
            assert "(campaign_id, unit_id)" in definition
            assert "WHERE" in definition and "voided_at IS NULL" in definition
            schema.downgrade(db, "0039")
            assert index_names(db, "problem") == before
            schema.upgrade(db)
        finally:
            db.dispose()
