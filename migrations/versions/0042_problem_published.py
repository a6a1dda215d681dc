"""what the public sees, newest first: a partial index of the published entries not voided

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-01 23:10:00.000000

The public 公示 page (and its JSON) lists the published entries newest first, 20 a page.
Nothing indexed the publication, so on a province (580,000 entries published of a million)
every request read and sorted the whole ledger: 0.8 s, and 0.57 s more to count it, for a
page anyone may ask for. From this index the page reads its 20 rows from the newest end
(6 ms with a township chosen), and the count stops at its bound (campaign.disclosures).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_problem_published"


def upgrade() -> None:
    shown = sa.text("published_at IS NOT NULL AND voided_at IS NULL")
    op.create_index(
        INDEX, "problem", ["published_at", "id"], postgresql_where=shown, sqlite_where=shown
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="problem")
