"""Campaign scope: clues, payment rolls and comparison runs carry the campaign they belong to
(a clue its entry's, a roll its programme's, a run the campaign in progress), so that an
ended campaign's lists and figures stay its own when the next campaign starts

Revision ID: 0034
Revises: 0033
Create Date: 2026-11-30 19:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILLED_FROM = {
    "clue": "(SELECT p.campaign_id FROM problem p WHERE p.id = clue.problem_id)",
    "payment_roll": (
        "(SELECT g.campaign_id FROM programme g WHERE g.id = payment_roll.programme_id)"
    ),
    "comparison_run": (
        "COALESCE((SELECT g.campaign_id FROM programme g WHERE g.id = comparison_run.programme_id),"
        " (SELECT c.id FROM campaign c WHERE c.active ORDER BY c.year DESC LIMIT 1))"
    ),
}


def upgrade() -> None:
    for table, source in FILLED_FROM.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET campaign_id = {source}")  # noqa: S608 - constants
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("campaign_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(f"ix_{table}_campaign_id", ["campaign_id"], unique=False)
            batch_op.create_foreign_key(
                f"fk_{table}_campaign_id_campaign", "campaign", ["campaign_id"], ["id"]
            )


def downgrade() -> None:
    for table in FILLED_FROM:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_campaign_id_campaign", type_="foreignkey")
            batch_op.drop_index(f"ix_{table}_campaign_id")
            batch_op.drop_column("campaign_id")
