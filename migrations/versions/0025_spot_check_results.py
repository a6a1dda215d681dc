"""Spot checks household by household: a result per sampled household and round (the
township's, the district team's re-visit), the self-inspection's visits per village, and the
key check's due date and rating of the township's self-inspection

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spot_check_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.String(length=16), nullable=False),
        sa.Column("visited", sa.Boolean(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("card_holder", sa.String(length=16), nullable=False),
        sa.Column("amounts_as_listed", sa.Boolean(), nullable=True),
        sa.Column("problem_found", sa.Boolean(), nullable=False),
        sa.Column("agrees", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["spot_check_sample.id"],
            name=op.f("fk_spot_check_result_sample_id_spot_check_sample"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problem.id"], name=op.f("fk_spot_check_result_problem_id_problem")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["app_user.id"],
            name=op.f("fk_spot_check_result_recorded_by_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check_result")),
        sa.UniqueConstraint(
            "sample_id", "round", name=op.f("uq_spot_check_result_sample_id_round")
        ),
    )
    op.create_table(
        "village_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_village_visit_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["unit.id"], name=op.f("fk_village_visit_township_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["unit.id"], name=op.f("fk_village_visit_village_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_village_visit_recorded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_visit")),
    )
    op.create_index(
        "ix_village_visit_campaign_village", "village_visit", ["campaign_id", "village_id"]
    )
    op.create_index(op.f("ix_village_visit_township_id"), "village_visit", ["township_id"])
    with op.batch_alter_table("key_check", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("rating", sa.String(16), server_default="", nullable=False))
        batch_op.add_column(sa.Column("rating_note", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("key_check", schema=None) as batch_op:
        for column in ("rating_note", "rating", "due_on"):
            batch_op.drop_column(column)
    op.drop_index(op.f("ix_village_visit_township_id"), table_name="village_visit")
    op.drop_index("ix_village_visit_campaign_village", table_name="village_visit")
    op.drop_table("village_visit")
    op.drop_table("spot_check_result")
