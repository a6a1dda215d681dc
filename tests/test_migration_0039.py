"""Migration 0039: the index on the upper-cased number (prefix ranges, text_pattern_ops) is made
on PostgreSQL, and taken away on the way back; SQLite's
schema does not change."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from core import schema
from core.db import Database
from tests.databases import fresh_database_url, index_names

PREFIX = "ix_problem_number_prefix"


def test_upgrade_and_downgrade_of_the_number_prefix_index(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        db = Database(url)
        try:
            schema.upgrade(db, "0038")
            before = index_names(db, "problem")
            schema.upgrade(db, "0039")
            if db.dialect == "sqlite":
                assert index_names(db, "problem") == before
            else:
                assert index_names(db, "problem") == before | {PREFIX}
                with db.engine.connect() as conn:
                    definition = conn.scalar(
                        text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                        {"name": PREFIX},
                    )
                assert "upper((number)::text) text_pattern_ops" in definition
            schema.downgrade(db, "0038")
            assert index_names(db, "problem") == before
            schema.upgrade(db)
        finally:
            db.dispose()
