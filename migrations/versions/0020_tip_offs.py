"""reports from the public (群众举报): the reports, their query codes and outcomes, and the
portal's submissions counted per client address

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tip_off_throttle",
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("window_started_at", core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_tip_off_throttle")),
    )
    op.create_table(
        "tip_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=100), nullable=False),
        sa.Column("caller_phone", sa.String(length=20), nullable=False),
        sa.Column("received_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("received_by", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=False),
        sa.Column("responsible_unit_id", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column("answered_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("problem_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_tip_off_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_instance.id"], name=op.f("fk_tip_off_case_id_case_instance")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problem.id"], name=op.f("fk_tip_off_problem_id_problem")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_tip_off_programme_id_programme")
        ),
        sa.ForeignKeyConstraint(
            ["received_by"], ["app_user.id"], name=op.f("fk_tip_off_received_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["responsible_unit_id"], ["unit.id"], name=op.f("fk_tip_off_responsible_unit_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["unit.id"], name=op.f("fk_tip_off_township_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["unit.id"], name=op.f("fk_tip_off_village_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_off")),
        sa.UniqueConstraint("code", name=op.f("uq_tip_off_code")),
        sa.UniqueConstraint("number", name=op.f("uq_tip_off_number")),
    )
    with op.batch_alter_table("tip_off", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tip_off_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tip_off_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_tip_off_township_id"), ["township_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tip_off", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tip_off_township_id"))
        batch_op.drop_index(batch_op.f("ix_tip_off_status"))
        batch_op.drop_index(batch_op.f("ix_tip_off_campaign_id"))

    op.drop_table("tip_off")
    op.drop_table("tip_off_throttle")
