"""A copy of a benchmark's database (bench.databases.copy_of): what the original holds, its
own from then on, and gone afterwards; on the database under test."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from bench.databases import copy_of
from core.db import Database
from tests.databases import fresh_database_url


def _rows(url: str) -> list[str]:
    database = Database(url)
    try:
        with database.engine.connect() as conn:
            return list(conn.execute(text("SELECT name FROM seeded ORDER BY name")).scalars())
    finally:
        database.dispose()


def _write(url: str, statement: str) -> None:
    database = Database(url)
    try:
        with database.engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        database.dispose()


def test_a_copy_holds_the_original_rows_and_changes_only_itself(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as original:
        _write(original, "CREATE TABLE seeded (name VARCHAR(20))")
        _write(original, "INSERT INTO seeded (name) VALUES ('甲'), ('乙')")
        with copy_of(original, tmp_path) as copy:
            assert copy != original
            assert _rows(copy) == ["乙", "甲"] or _rows(copy) == ["甲", "乙"]
            _write(copy, "DELETE FROM seeded")
            _write(copy, "INSERT INTO seeded (name) VALUES ('丙')")
            assert _rows(copy) == ["丙"]
            assert sorted(_rows(original)) == sorted(["甲", "乙"])
        # A second copy is made from the original again, not from the first copy.
        with copy_of(original, tmp_path) as again:
            assert sorted(_rows(again)) == sorted(["甲", "乙"])
        leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith("copy_")]
        assert leftovers == []
