"""数据比对 核实: each 疑点's verification case, the unit verifying it, its outcome (the ledger
entry of a 属实 one, the findings, who decided and when), and the comparisons asked for on
the 数据比对 page with how far each has got

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("discrepancy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("verifying_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("problem_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("findings", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("decided_at", core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("decided_by", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_discrepancy_case_id"), ["case_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_discrepancy_case_id_case_instance"), "case_instance", ["case_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_discrepancy_verifying_unit_id_unit"),
            "unit",
            ["verifying_unit_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_discrepancy_problem_id_problem"), "problem", ["problem_id"], ["id"]
        )
    op.create_table(
        "comparison_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rules_done", sa.Integer(), nullable=False),
        sa.Column("rules_total", sa.Integer(), nullable=False),
        sa.Column("current_rule", sa.String(length=32), nullable=False),
        sa.Column("raised", sa.Integer(), nullable=False),
        sa.Column("cases_started", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", core.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_comparison_run_programme_id_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparison_run")),
    )
    with op.batch_alter_table("comparison_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comparison_run_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("comparison_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comparison_run_status"))
    op.drop_table("comparison_run")
    with op.batch_alter_table("discrepancy", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_discrepancy_problem_id_problem"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_discrepancy_verifying_unit_id_unit"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_discrepancy_case_id_case_instance"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_discrepancy_case_id"), type_="unique")
        for column in ("decided_by", "decided_at", "findings", "problem_id"):
            batch_op.drop_column(column)
        batch_op.drop_column("verifying_unit_id")
        batch_op.drop_column("case_id")
