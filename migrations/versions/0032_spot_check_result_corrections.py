"""A recorded household result may be corrected while its report is open: how often, by whom,
when and why (the earlier values are in the audit log)

Revision ID: 0032
Revises: 0029
Create Date: 2026-11-30 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0032"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("spot_check_result", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("corrections", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("corrected_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("corrected_at", core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("correction_reason", sa.Text(), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(
            op.f("fk_spot_check_result_corrected_by_app_user"), "app_user", ["corrected_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("spot_check_result", schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_spot_check_result_corrected_by_app_user"), type_="foreignkey"
        )
        batch_op.drop_column("correction_reason")
        batch_op.drop_column("corrected_at")
        batch_op.drop_column("corrected_by")
        batch_op.drop_column("corrections")
