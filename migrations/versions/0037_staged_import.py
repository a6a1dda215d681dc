"""Imports copied in parts: while an import's record stands, the rows of its id ranges are
hidden from every statement (core.staged_parts); on SQLite, where imports are copied so,
case_event stays append-only except for the rows of an import that was never shown, which
its clean-up removes

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-01 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


NEVER_SHOWN = (
    "EXISTS (SELECT 1 FROM staged_import WHERE old.id BETWEEN "
    "json_extract(ranges, '$.case_event[0]') AND json_extract(ranges, '$.case_event[1]'))"
)


def _no_delete(when: str) -> None:
    op.execute("DROP TRIGGER case_event_no_delete")
    op.execute(
        f"CREATE TRIGGER case_event_no_delete BEFORE DELETE ON case_event {when}"
        "BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END"
    )


def upgrade() -> None:
    op.create_table(
        "staged_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ranges", sa.Text(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("touched_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "sqlite":
        _no_delete(f"WHEN NOT {NEVER_SHOWN} ")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _no_delete("")
    op.drop_table("staged_import")
