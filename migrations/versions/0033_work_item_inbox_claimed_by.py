"""work_item: the inbox index ends with claimed_by, so an inbox is counted from the index alone

Revision ID: 0033
Revises: 0032
Create Date: 2026-11-30 20:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ["state", "unit_id", "role", "due_at", "id"]


def upgrade() -> None:
    op.drop_index("ix_work_item_inbox", table_name="work_item")
    op.create_index("ix_work_item_inbox", "work_item", [*BEFORE, "claimed_by"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_work_item_inbox", table_name="work_item")
    op.create_index("ix_work_item_inbox", "work_item", BEFORE, unique=False)
