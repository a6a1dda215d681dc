"""Campaign lists: a 疑点 belongs to the campaign whose run raised it (unique by campaign and
key, so that a look-back campaign over the same months raises its own), a roll file is
imported once per campaign, and each campaign keeps its own village household lists

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
# A file of rolls is imported once per campaign (a look-back imports the months again).
ROLL_FILE_BEFORE = "uq_payment_roll_file_sha256"
ROLL_FILE_AFTER = "uq_payment_roll_campaign_id_file_sha256"


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
    with op.batch_alter_table("payment_roll", schema=None) as batch_op:
        batch_op.drop_constraint(ROLL_FILE_BEFORE, type_="unique")
        batch_op.create_unique_constraint(ROLL_FILE_AFTER, ["campaign_id", "file_sha256"])


def downgrade() -> None:
    bind = op.get_bind()
    shared = bind.execute(
        sa.text('SELECT "key" FROM discrepancy GROUP BY "key" HAVING COUNT(*) > 1')
    ).first()
    twice = bind.execute(
        sa.text("SELECT MIN(file_name) FROM payment_roll GROUP BY file_sha256 HAVING COUNT(*) > 1")
    ).first()
    if shared is not None or twice is not None:
        example = f"疑点 {shared[0]}" if shared is not None else f"名册文件 {twice and twice[0]}"
        raise RuntimeError(
            "不能降级：回头看的活动重复导入或比对了另一活动的同一期间，旧版本的数据库结构"
            f"容不下（同一名册文件、同一疑点只能有一份），例如{example}"
        )
    with op.batch_alter_table("payment_roll", schema=None) as batch_op:
        batch_op.drop_constraint(ROLL_FILE_AFTER, type_="unique")
        batch_op.create_unique_constraint(ROLL_FILE_BEFORE, ["file_sha256"])
    # One list again. Of a village's households with one code (a copy per campaign), the one
    # kept is the campaign in progress's, else the latest; samples naming another name it.
    same = "k.village_id = {row}.village_id AND k.code = {row}.code"
    kept = (
        f"COALESCE((SELECT k.id FROM household k WHERE {same} AND k.campaign_id = {{current}}), "  # noqa: S608
        f"(SELECT MAX(k.id) FROM household k WHERE {same}))"
    )
    current = FILLED_FROM["household"]
    op.execute(
        "UPDATE spot_check_sample SET household_id = (SELECT "  # noqa: S608 - constants
        + kept.format(row="o", current=current)
        + " FROM household o WHERE o.id = spot_check_sample.household_id)"
    )
    op.execute(
        "DELETE FROM household WHERE id <> "  # noqa: S608 - constants
        + kept.format(row="household", current=current)
    )
    for table, before in UNIQUE_BEFORE.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_campaign_id_{'_'.join(before)}", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_{'_'.join(before)}", before)
            batch_op.drop_constraint(f"fk_{table}_campaign_id_campaign", type_="foreignkey")
            batch_op.drop_column("campaign_id")
