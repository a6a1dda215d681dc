"""Campaign lists: a 疑点 belongs to the campaign whose run raised it (unique by campaign and
key, so that a look-back campaign over the same months raises its own), and each campaign
keeps its own village household lists

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-01 02:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A 疑点's campaign is that of the roll its first row came from; the households, until now
# one list for every campaign, become the list of the campaign in progress (else the latest).
FILLED_FROM = {
    "discrepancy": (
        "(SELECT p.campaign_id FROM roll_row r JOIN payment_roll p ON p.id = r.roll_id "
        "WHERE r.id = discrepancy.first_row_id)"
    ),
    "household": (
        "COALESCE((SELECT c.id FROM campaign c WHERE c.active ORDER BY c.year DESC LIMIT 1), "
        "(SELECT c.id FROM campaign c ORDER BY c.year DESC LIMIT 1))"
    ),
}
UNIQUE_BEFORE = {"discrepancy": ["key"], "household": ["village_id", "code"]}


def upgrade() -> None:
    for table, source in FILLED_FROM.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET campaign_id = {source}")  # noqa: S608 - constants
        before = UNIQUE_BEFORE[table]
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("campaign_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(
                f"fk_{table}_campaign_id_campaign", "campaign", ["campaign_id"], ["id"]
            )
            batch_op.drop_constraint(f"uq_{table}_{'_'.join(before)}", type_="unique")
            batch_op.create_unique_constraint(
                f"uq_{table}_campaign_id_{'_'.join(before)}", ["campaign_id", *before]
            )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index("ix_household_campaign_id", ["campaign_id"], unique=False)


def downgrade() -> None:
    # One list again: the current campaign's. A sample that names another campaign's copy of
    # a household names the current one's (same village and code) instead; the copies go.
    current = FILLED_FROM["household"]
    op.execute(
        "UPDATE spot_check_sample SET household_id = (SELECT h.id FROM household h "  # noqa: S608
        "JOIN household o ON o.village_id = h.village_id AND o.code = h.code "
        f"WHERE o.id = spot_check_sample.household_id AND h.campaign_id = {current}) "
        "WHERE household_id IN (SELECT o.id FROM household o JOIN household h "
        "ON o.village_id = h.village_id AND o.code = h.code "
        f"WHERE o.campaign_id <> {current} AND h.campaign_id = {current})"
    )
    op.execute(
        f"DELETE FROM household WHERE campaign_id <> {current} AND EXISTS (SELECT 1 FROM "  # noqa: S608
        "household h WHERE h.village_id = household.village_id AND h.code = household.code "
        f"AND h.campaign_id = {current})"
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index("ix_household_campaign_id")
    for table, before in UNIQUE_BEFORE.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_campaign_id_{'_'.join(before)}", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_{'_'.join(before)}", before)
            batch_op.drop_constraint(f"fk_{table}_campaign_id_campaign", type_="foreignkey")
            batch_op.drop_column("campaign_id")
