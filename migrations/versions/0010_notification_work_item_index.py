"""notification: index by work item (new work is noticed once, looked up per task)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 08:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_notification_work_item_id"), "notification", ["work_item_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_notification_work_item_id"), table_name="notification")
