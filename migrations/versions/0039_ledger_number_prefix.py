"""the ledger's search for the start of a number on PostgreSQL: an index on the upper-cased
number for prefix matches

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-01 14:30:00.000000

A fragment that begins like a number (`2026-X090T11-002`) shares most of its trigrams with
every number of its year, so the trigram index (0036) handed back a township's numbers to
check one by one: 54 ms of a province's page, and as much again for its count. A search that
begins with a year and a dash looks for numbers that begin with it (campaign.ledger_queries),
a range of this index (`text_pattern_ops`, whatever the database's collation). ANALYZE
gives the planner the expression's statistics: without them it took the prefix for 5,000
entries and walked the primary key for 1.6 s. SQLite is left as it is.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_problem_number_prefix"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX {INDEX} ON problem (upper(number) text_pattern_ops)")
    op.execute("ANALYZE problem")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(INDEX, table_name="problem")
