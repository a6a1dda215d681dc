"""专项督办: orders (督办单) from leaders' instructions and media reports, and each unit's
part of one (feedback, closing, returns); 明察暗访: unannounced visits and the ledger entries
they found; 问责: decisions about units and persons with the overdue tasks and returned
reports they rest on; 效果评估: follow-up visits and questionnaires about closed problems

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supervision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=False),
        sa.Column("issued_at", core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_supervision_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["app_user.id"], name=op.f("fk_supervision_issued_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision")),
        sa.UniqueConstraint("number", name=op.f("uq_supervision_number")),
    )
    with op.batch_alter_table("supervision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervision_campaign_id"), ["campaign_id"], unique=False
        )
    op.create_table(
        "supervision_part",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supervision_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column("fed_back_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("return_reason", sa.Text(), nullable=False),
        sa.Column("closing_note", sa.Text(), nullable=False),
        sa.Column("closed_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_instance.id"],
            name=op.f("fk_supervision_part_case_id_case_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["supervision_id"],
            ["supervision.id"],
            name=op.f("fk_supervision_part_supervision_id_supervision"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_supervision_part_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_part")),
        sa.UniqueConstraint(
            "supervision_id", "unit_id", name=op.f("uq_supervision_part_supervision_id_unit_id")
        ),
    )
    with op.batch_alter_table("supervision_part", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_part_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervision_part_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("places", sa.Text(), nullable=False),
        sa.Column("team", sa.String(length=500), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_inspection_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_instance.id"], name=op.f("fk_inspection_case_id_case_instance")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["app_user.id"], name=op.f("fk_inspection_recorded_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection")),
        sa.UniqueConstraint("number", name=op.f("uq_inspection_number")),
    )
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_campaign_id"), ["campaign_id"], unique=False
        )
    op.create_table(
        "inspection_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspection.id"],
            name=op.f("fk_inspection_finding_inspection_id_inspection"),
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problem.id"], name=op.f("fk_inspection_finding_problem_id_problem")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_finding")),
        sa.UniqueConstraint("problem_id", name=op.f("uq_inspection_finding_problem_id")),
    )
    with op.batch_alter_table("inspection_finding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_finding_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "accountability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("person_name", sa.String(length=100), nullable=False),
        sa.Column("person_post", sa.String(length=100), nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("conduct", sa.String(length=32), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("unit_response", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("proposed_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("decided_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_accountability_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_instance.id"],
            name=op.f("fk_accountability_case_id_case_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["app_user.id"], name=op.f("fk_accountability_proposed_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_accountability_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability")),
        sa.UniqueConstraint("number", name=op.f("uq_accountability_number")),
    )
    with op.batch_alter_table("accountability", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accountability_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_accountability_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_accountability_unit_id"), ["unit_id"], unique=False)
    op.create_table(
        "accountability_ground",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("accountability_id", sa.Integer(), nullable=False),
        sa.Column("work_item_id", sa.Integer(), nullable=True),
        sa.Column("obligation_id", sa.Integer(), nullable=True),
        sa.Column("described", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["accountability_id"],
            ["accountability.id"],
            name=op.f("fk_accountability_ground_accountability_id_accountability"),
        ),
        sa.ForeignKeyConstraint(
            ["obligation_id"],
            ["obligation.id"],
            name=op.f("fk_accountability_ground_obligation_id_obligation"),
        ),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_item.id"],
            name=op.f("fk_accountability_ground_work_item_id_work_item"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_ground")),
    )
    with op.batch_alter_table("accountability_ground", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accountability_ground_accountability_id"),
            ["accountability_id"],
            unique=False,
        )

    op.create_table(
        "evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=True),
        sa.Column("satisfaction", sa.String(length=16), nullable=False),
        sa.Column("money", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_evaluation_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_instance.id"], name=op.f("fk_evaluation_case_id_case_instance")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problem.id"], name=op.f("fk_evaluation_problem_id_problem")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["app_user.id"], name=op.f("fk_evaluation_requested_by_app_user")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_evaluation_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation")),
    )
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evaluation_problem_id"), ["problem_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_unit_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_status"))
        batch_op.drop_index(batch_op.f("ix_evaluation_problem_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_campaign_id"))
    op.drop_table("evaluation")
    with op.batch_alter_table("accountability_ground", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accountability_ground_accountability_id"))
    op.drop_table("accountability_ground")
    with op.batch_alter_table("accountability", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accountability_unit_id"))
        batch_op.drop_index(batch_op.f("ix_accountability_status"))
        batch_op.drop_index(batch_op.f("ix_accountability_campaign_id"))
    op.drop_table("accountability")
    with op.batch_alter_table("inspection_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_finding_inspection_id"))
    op.drop_table("inspection_finding")
    with op.batch_alter_table("inspection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_campaign_id"))
    op.drop_table("inspection")
    with op.batch_alter_table("supervision_part", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_part_unit_id"))
        batch_op.drop_index(batch_op.f("ix_supervision_part_status"))
    op.drop_table("supervision_part")
    with op.batch_alter_table("supervision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_campaign_id"))
    op.drop_table("supervision")
