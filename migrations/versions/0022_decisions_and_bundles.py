"""decision tables (DMN) and what a process version calls

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 13:30:00.000000

`decision_definition` holds deployed DMN decisions, versioned like process definitions.
`process_definition.bundle` holds, as JSON, the diagrams of the processes a version's call
activities name and the decision tables its business rule tasks use, copied when the version
is deployed, so that the version (and every stored case on it) keeps running as deployed
whatever is deployed after it. Existing versions call nothing outside their file: "".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("dmn_xml", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("deployed_by", sa.String(length=64), nullable=False),
        sa.Column("deployed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_definition")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_decision_definition_key_version")),
    )
    with op.batch_alter_table("decision_definition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_definition_key"), ["key"], unique=False)
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bundle", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.drop_column("bundle")
    with op.batch_alter_table("decision_definition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_definition_key"))
    op.drop_table("decision_definition")
