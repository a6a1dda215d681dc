"""Ledger search by fragment on PostgreSQL: trigram indexes (pg_trgm) on the entry's number and
description, so that `ILIKE '%text%'` over a province's million entries reads the index instead
of every row; and statistics on the forms of campaign and unit the reports scan by
(`campaign_id + 0`, `unit_id + 0`: campaign.reports.scope.scanned) with the village, so that the
planner expects the whole campaign instead of half a percent of it, and 25,000 groups of unit and
village instead of 100,000, and groups by hashing instead of sorting the ledger onto disk. SQLite is left as it is (its scan of a small ledger is fast enough).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-01 02:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("number", "description")
STATISTICS = "st_problem_scanned"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # A trusted extension since PostgreSQL 13: the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.create_index(
            f"ix_problem_{column}_trgm",
            "problem",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )
    # Statistics on expressions came with PostgreSQL 14; an older server plans as before.
    if (op.get_bind().dialect.server_version_info or (0,)) >= (14,):
        op.execute(
            f"CREATE STATISTICS {STATISTICS}"
            " ON (campaign_id + 0), (unit_id + 0), village_id FROM problem"
        )
        op.execute("ANALYZE problem")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
    for column in COLUMNS:
        op.drop_index(f"ix_problem_{column}_trgm", table_name="problem")
    # The extension stays: it belongs to the database and other objects may use it.
