"""report_filing: the statutory tables as filed (报送留档), append-only

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from migrations.append_only import drop_append_only, make_append_only

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_filing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_kind", sa.String(length=24), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("date_from", sa.Date(), nullable=True),
        sa.Column("date_to", sa.Date(), nullable=True),
        sa.Column("scope_key", sa.String(length=160), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("filing_unit", sa.String(length=128), nullable=False),
        sa.Column("period", sa.String(length=64), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("figures_sha256", sa.String(length=64), nullable=False),
        sa.Column("workbook", sa.LargeBinary(), nullable=False),
        sa.Column("workbook_sha256", sa.String(length=64), nullable=False),
        sa.Column("filed_by", sa.Integer(), nullable=False),
        sa.Column("filer_name", sa.String(length=64), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_name", sa.String(length=64), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("filed_at", core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaign.id"], name=op.f("fk_report_filing_campaign_id_campaign")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by"], ["app_user.id"], name=op.f("fk_report_filing_filed_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["app_user.id"], name=op.f("fk_report_filing_reviewer_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_report_filing_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_filing")),
        sa.UniqueConstraint(
            "scope_key", "version", name=op.f("uq_report_filing_scope_key_version")
        ),
    )
    op.create_index(op.f("ix_report_filing_unit_id"), "report_filing", ["unit_id"], unique=False)
    # A filed table never changes: not by the application, not by a slip at the console.
    make_append_only("report_filing")


def downgrade() -> None:
    drop_append_only("report_filing")
    op.drop_index(op.f("ix_report_filing_unit_id"), table_name="report_filing")
    op.drop_table("report_filing")
