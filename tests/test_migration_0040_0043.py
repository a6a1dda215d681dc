"""Migrations 0040–0043: the partial indexes the province's pages read (the entries that count
by unit, a person's done work, what the public sees, the closed problems) are made on both
databases with the columns and the condition the models declare, and taken away on the way
back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Index, Table, text

from campaign.models import Problem
from core import schema
from core.db import Database
from engine.models import WorkItem
from tests.databases import fresh_database_url, index_names

# revision, table, index, its columns, its condition as each database writes it back
INDEXES = [
    ("0040", Problem.__table__, "ix_problem_campaign_unit_live", "(campaign_id, unit_id)",
     "voided_at IS NULL"),
    ("0041", WorkItem.__table__, "ix_work_item_done", "(completed_by, completed_at)",
     "state = 'completed'"),
    ("0042", Problem.__table__, "ix_problem_published", "(published_at, id)",
     "published_at IS NOT NULL AND voided_at IS NULL"),
    ("0043", Problem.__table__, "ix_problem_closed", "(campaign_id, closed_at, id)",
     "status = 'closed'"),
]  # fmt: skip


def _definition(db: Database, name: str) -> str:
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
        else:
            query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
        found = str(conn.scalar(text(query), {"name": name}))
    # PostgreSQL writes the condition back with parentheses, casts and quotes of its own
    for noise in ('"', "::text", "::character varying", "(", ")"):
        found = found.replace(noise, "")
    return " ".join(found.split())


def _model_index(table: Table, name: str) -> Index:
    return next(index for index in table.indexes if index.name == name)


@pytest.mark.parametrize(("revision", "table", "name", "columns", "condition"), INDEXES)
def test_the_partial_index_is_made_as_the_model_declares_it_and_taken_away(
    tmp_path: Path, revision: str, table: Table, name: str, columns: str, condition: str
) -> None:
    index = _model_index(table, name)
    assert [c.name for c in index.columns] == columns.strip("()").split(", ")
    for dialect in ("postgresql", "sqlite"):
        assert str(index.dialect_options[dialect]["where"]) == condition, dialect
    previous = f"{int(revision) - 1:04d}"
    with fresh_database_url(tmp_path) as url:
        db = Database(url)
        try:
            schema.upgrade(db, previous)
            before = index_names(db, table.name)
            assert name not in before
            schema.upgrade(db, revision)
            assert index_names(db, table.name) == before | {name}
            made = _definition(db, name)
            assert columns.strip("()") in made and f"WHERE {condition}" in made, made
            schema.downgrade(db, previous)
            assert index_names(db, table.name) == before
            schema.upgrade(db)
        finally:
            db.dispose()
