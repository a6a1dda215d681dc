"""Migration 0036: the ledger's trigram indexes and the statistics of the scanned forms are made
on PostgreSQL and taken away again on the way back; SQLite's schema does not change."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from core import schema
from core.db import Database
from tests.databases import fresh_database_url, index_names

TRIGRAM = {"ix_problem_number_trgm", "ix_problem_description_trgm"}


def _statistics(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        return set(
            conn.scalars(text("SELECT stxname FROM pg_statistic_ext WHERE stxname LIKE 'st_%'"))
        )


def test_upgrade_and_downgrade_of_the_trigram_indexes(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        db = Database(url)
        try:
            schema.upgrade(db, "0034")
            before = index_names(db, "problem")
            schema.upgrade(db, "0036")
            after = index_names(db, "problem")
            if db.dialect == "sqlite":
                assert after == before and not after & TRIGRAM
            else:
                assert after == before | TRIGRAM
                assert _statistics(db) == {"st_problem_scanned"}
                with db.engine.connect() as conn:
                    kind = conn.scalar(
                        text(
                            "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam"
                            " WHERE c.relname = 'ix_problem_description_trgm'"
                        )
                    )
                assert kind == "gin"
            schema.downgrade(db, "0034")
            assert index_names(db, "problem") == before
            if db.dialect != "sqlite":
                assert _statistics(db) == set()
            schema.upgrade(db)  # and up again, over the extension the way back left in place
            # the later ones (0039, 0040, 0042, 0043) have tests of their own
            later = {
                "ix_problem_number_prefix",
                "ix_problem_campaign_unit_live",
                "ix_problem_published",
                "ix_problem_closed",
            }
            assert index_names(db, "problem") - later == after
        finally:
            db.dispose()
