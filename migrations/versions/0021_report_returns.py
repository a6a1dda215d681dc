"""报送管理: the office's reading of a filed report (accepted, or returned with a reason and
counted as 退回 until refiled) and the spot-check report's two figures the records check

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("obligation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("households_checked", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("problems_found", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("accepted_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("accepted_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("returned_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("returned_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("return_reason", sa.Text(), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("times_returned", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_obligation_accepted_by_app_user"), "app_user", ["accepted_by"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_obligation_returned_by_app_user"), "app_user", ["returned_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("obligation", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_obligation_returned_by_app_user"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_obligation_accepted_by_app_user"), type_="foreignkey"
        )
        for column in (
            "times_returned",
            "return_reason",
            "returned_by",
            "returned_at",
            "accepted_by",
            "accepted_at",
            "problems_found",
            "households_checked",
        ):
            batch_op.drop_column(column)
