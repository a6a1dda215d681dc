"""a person's done work, newest first: a partial index of completed work items by who
completed them and when

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-01 23:00:00.000000

Every home page shows the person's recently done tasks and how many there are, as does the
inbox's 已办 tab: work items completed by them, newest first. Nothing indexed who completed an
item, so on a province (4.5 million work items) both reads walked every completed item: 0.6 s
each, 1.2–1.8 s of a township officer's home page. From this index they read the person's
own items from the newest end (the home page in 0.1–0.2 s).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_work_item_done"


def upgrade() -> None:
    completed = sa.text("state = 'completed'")
    op.create_index(
        INDEX,
        "work_item",
        ["completed_by", "completed_at"],
        postgresql_where=completed,
        sqlite_where=completed,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="work_item")
