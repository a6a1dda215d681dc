"""message waits and timer starts: the messages cases wait for, by name and key, and the due
times of timer start events with the case each one started

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_message_wait",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("task_guid", sa.String(length=36), nullable=False),
        sa.Column("bpmn_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("correlation_key", sa.String(length=200), nullable=False),
        sa.Column("since", core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_instance.id"],
            name=op.f("fk_case_message_wait_case_id_case_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_message_wait")),
        sa.UniqueConstraint(
            "case_id", "task_guid", name=op.f("uq_case_message_wait_case_id_task_guid")
        ),
    )
    with op.batch_alter_table("case_message_wait", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_message_wait_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_case_message_wait_name_key", ["name", "correlation_key"], unique=False
        )

    op.create_table(
        "timer_start",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=64), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("due_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("started_at", core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case_instance.id"], name=op.f("fk_timer_start_case_id_case_instance")
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["process_definition.id"],
            name=op.f("fk_timer_start_definition_id_process_definition"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timer_start")),
        sa.UniqueConstraint(
            "process_key", "due_at", name=op.f("uq_timer_start_process_key_due_at")
        ),
    )
    with op.batch_alter_table("timer_start", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_timer_start_definition_id"), ["definition_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("timer_start", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_timer_start_definition_id"))
    op.drop_table("timer_start")
    with op.batch_alter_table("case_message_wait", schema=None) as batch_op:
        batch_op.drop_index("ix_case_message_wait_name_key")
        batch_op.drop_index(batch_op.f("ix_case_message_wait_case_id"))
    op.drop_table("case_message_wait")
