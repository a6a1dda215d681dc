"""Deadline marks: a timer row says whether falling due only marks a deadline (the sweep
records it set-based, without running the case), its name for the history, and when it was
marked

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-30 16:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_timer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("marks_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("marked_at", core.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_timer", schema=None) as batch_op:
        batch_op.drop_column("marked_at")
        batch_op.drop_column("marks_only")
        batch_op.drop_column("title")
