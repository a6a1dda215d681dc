"""Migration 0042: the partial index of what the public sees (published, not voided) is made
on both databases and taken away on the way back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from core import schema
from core.db import Database
from tests.databases import fresh_database_url, index_names

PUBLISHED = "ix_problem_published"


def _definition(db: Database) -> str:
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
        return " ".join(str(conn.scalar(text(query), {"name": PUBLISHED})).replace('"', "").split())


def test_upgrade_and_downgrade_of_the_published_entries_index(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        db = Database(url)
        try:
            schema.upgrade(db, "0041")
            before = index_names(db, "problem")
            assert PUBLISHED not in before
            schema.upgrade(db, "0042")
            assert index_names(db, "problem") == before | {PUBLISHED}
            definition = _definition(db)
            assert "(published_at, id)" in definition
            assert (
                "WHERE" in definition
                and "published_at IS NOT NULL" in definition
                and "voided_at IS NULL" in definition
            )
            schema.downgrade(db, "0041")
            assert index_names(db, "problem") == before
            schema.upgrade(db)
        finally:
            db.dispose()
