"""Migration 0041: the partial index of completed work items by who completed them and when
is made on both databases (only completed items in it) and taken away on the way back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from core import schema
from core.db import Database
from tests.databases import fresh_database_url, index_names

DONE = "ix_work_item_done"


def _definition(db: Database) -> str:
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
        return " ".join(str(conn.scalar(text(query), {"name": DONE})).replace('"', "").split())


def test_upgrade_and_downgrade_of_the_done_work_index(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        db = Database(url)
        try:
            schema.upgrade(db, "0040")
            before = index_names(db, "work_item")
            assert DONE not in before
            schema.upgrade(db, "0041")
            assert index_names(db, "work_item") == before | {DONE}
            definition = _definition(db)
            assert "(completed_by, completed_at)" in definition
            assert "WHERE" in definition and "completed" in definition.split("WHERE")[1]
            schema.downgrade(db, "0040")
            assert index_names(db, "work_item") == before
            schema.upgrade(db)
        finally:
            db.dispose()
