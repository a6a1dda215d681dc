"""Reference data administered in the product: the village household lists' 身份证号, 卡号
(encrypted and hashed, with the last four digits to show masked) and phone, and whether a
household is still on its list; the campaign's published 举报电话 and the campaign it was
created from

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_cipher", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("id_hash", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("id_last4", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("card_cipher", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("card_hash", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("card_last4", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_household_id_hash"), ["id_hash"], unique=False)
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.add_column(sa.Column("report_phone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("previous_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_campaign_previous_id_campaign"), "campaign", ["previous_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_campaign_previous_id_campaign"), type_="foreignkey")
        batch_op.drop_column("previous_id")
        batch_op.drop_column("report_phone")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_id_hash"))
        for column in (
            "active",
            "phone",
            "card_last4",
            "card_hash",
            "card_cipher",
            "id_last4",
            "id_hash",
            "id_cipher",
        ):
            batch_op.drop_column(column)
