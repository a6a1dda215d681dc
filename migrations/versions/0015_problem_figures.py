"""problem: 返还发放 amount, review and void marks, the reason a 违法违规 problem was not
transferred; which entries count in the statutory tables

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USER_COLUMNS = ("void_proposed_by", "voided_by", "no_transfer_approved_by")


def upgrade() -> None:
    with op.batch_alter_table("problem", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("returned_fen", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("reviewed_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("void_reason", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("voided_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("no_transfer_reason", sa.Text(), server_default="", nullable=False)
        )
        for name in USER_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
            batch_op.create_foreign_key(f"fk_problem_{name}_app_user", "app_user", [name], ["id"])
    # An entry whose review was approved has its rectification type: the review form sets
    # it, nothing else does. Those entries count from their registration on.
    op.execute("UPDATE problem SET reviewed_at = registered_at WHERE rectify_type <> ''")
    # A problem of group (三) signed off before the clue-or-reason rule existed: its
    # sign-off stands as the office's agreement, or it could never close.
    op.execute(
        """
        UPDATE problem SET no_transfer_approved_by = (
            SELECT w.completed_by FROM work_item w
            WHERE w.case_id = problem.case_id AND w.bpmn_id = 'signoff'
              AND w.state = 'completed'
            ORDER BY w.id DESC LIMIT 1)
        WHERE status IN ('disclosing', 'closing', 'closed')
          AND focus_item_id IN (SELECT id FROM focus_item WHERE group_no = 3)
          AND NOT EXISTS (SELECT 1 FROM clue WHERE clue.problem_id = problem.id)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("problem", schema=None) as batch_op:
        for name in reversed(USER_COLUMNS):
            batch_op.drop_constraint(f"fk_problem_{name}_app_user", type_="foreignkey")
            batch_op.drop_column(name)
        for name in ("no_transfer_reason", "voided_at", "void_reason", "reviewed_at"):
            batch_op.drop_column(name)
        batch_op.drop_column("returned_fen")
