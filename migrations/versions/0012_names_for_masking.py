"""problem.involved_names, clue.persons_named: names to mask in what is published

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default gives the rows already there an empty list of names.
    op.add_column(
        "problem", sa.Column("involved_names", sa.Text(), server_default="", nullable=False)
    )
    op.add_column("clue", sa.Column("persons_named", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("clue", schema=None) as batch_op:
        batch_op.drop_column("persons_named")
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.drop_column("involved_names")
