"""数据比对: payment rolls and their rows (ID and card numbers encrypted, with keyed hashes),
the reference lists (deceased, public payroll, beneficiaries, standards), the rules and their
versions, the 疑点 and the generation of keys the stored values are under

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 12:52:56.360958
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comparison_keyring",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("rotated_at", core.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparison_keyring")),
    )
    op.create_table(
        "comparison_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparison_rule")),
        sa.UniqueConstraint("code", name=op.f("uq_comparison_rule_code")),
    )
    op.create_table(
        "ref_deceased",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_cipher", sa.String(length=120), nullable=False),
        sa.Column("id_hash", sa.String(length=32), nullable=False),
        sa.Column("died_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_deceased")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_ref_deceased_id_hash")),
    )
    op.create_table(
        "ref_payroll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_cipher", sa.String(length=120), nullable=False),
        sa.Column("id_hash", sa.String(length=32), nullable=False),
        sa.Column("employer", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_payroll")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_ref_payroll_id_hash")),
    )
    op.create_table(
        "comparison_rule_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changed_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["comparison_rule.id"],
            name=op.f("fk_comparison_rule_version_rule_id_comparison_rule"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comparison_rule_version")),
        sa.UniqueConstraint(
            "rule_id", "version", name=op.f("uq_comparison_rule_version_rule_id_version")
        ),
    )
    op.create_table(
        "ref_beneficiary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_cipher", sa.String(length=120), nullable=False),
        sa.Column("id_hash", sa.String(length=32), nullable=False),
        sa.Column("programme_code", sa.String(length=32), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["village_id"], ["unit.id"], name=op.f("fk_ref_beneficiary_village_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_beneficiary")),
        sa.UniqueConstraint(
            "id_hash", "programme_code", name=op.f("uq_ref_beneficiary_id_hash_programme_code")
        ),
    )
    with op.batch_alter_table("ref_beneficiary", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ref_beneficiary_id_hash"), ["id_hash"], unique=False)

    op.create_table(
        "payment_roll",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("imported_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_payment_roll_programme_id_programme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_roll")),
        sa.UniqueConstraint("file_sha256", name=op.f("uq_payment_roll_file_sha256")),
    )
    with op.batch_alter_table("payment_roll", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_roll_period"), ["period"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payment_roll_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "ref_standard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("min_age", sa.Integer(), nullable=True),
        sa.Column("max_age", sa.Integer(), nullable=True),
        sa.Column("household_type", sa.String(length=64), nullable=False),
        sa.Column("excludes_payroll", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_ref_standard_programme_id_programme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ref_standard")),
        sa.UniqueConstraint("programme_id", name=op.f("uq_ref_standard_programme_id")),
    )
    op.create_table(
        "roll_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("roll_id", sa.Integer(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("id_cipher", sa.String(length=120), nullable=False),
        sa.Column("id_hash", sa.String(length=32), nullable=False),
        sa.Column("birth_ymd", sa.Integer(), nullable=False),
        sa.Column("bank", sa.String(length=100), nullable=False),
        sa.Column("card_cipher", sa.String(length=120), nullable=False),
        sa.Column("card_hash", sa.String(length=32), nullable=False),
        sa.Column("card_last4", sa.String(length=4), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("paid_ymd", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_roll_row_programme_id_programme")
        ),
        sa.ForeignKeyConstraint(
            ["roll_id"],
            ["payment_roll.id"],
            name=op.f("fk_roll_row_roll_id_payment_roll"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["unit.id"], name=op.f("fk_roll_row_township_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["unit.id"], name=op.f("fk_roll_row_village_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roll_row")),
    )
    with op.batch_alter_table("roll_row", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roll_row_id_hash"), ["id_hash"], unique=False)
        batch_op.create_index(
            "ix_roll_row_period_card", ["period", "card_hash", "id_hash"], unique=False
        )
        batch_op.create_index(
            "ix_roll_row_period_person",
            ["period", "id_hash", "programme_id", "card_hash", "village_id"],
            unique=False,
        )
        batch_op.create_index("ix_roll_row_scope", ["programme_id", "period"], unique=False)

    op.create_table(
        "discrepancy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("first_row_id", sa.Integer(), nullable=False),
        sa.Column("row_ids", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("found_at", core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_row_id"], ["roll_row.id"], name=op.f("fk_discrepancy_first_row_id_roll_row")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programme.id"], name=op.f("fk_discrepancy_programme_id_programme")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["comparison_rule.id"], name=op.f("fk_discrepancy_rule_id_comparison_rule")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["unit.id"], name=op.f("fk_discrepancy_township_id_unit")
        ),
        sa.ForeignKeyConstraint(
            ["village_id"], ["unit.id"], name=op.f("fk_discrepancy_village_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discrepancy")),
        sa.UniqueConstraint("key", name=op.f("uq_discrepancy_key")),
    )
    with op.batch_alter_table("discrepancy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_discrepancy_rule_id"), ["rule_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("discrepancy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discrepancy_rule_id"))

    op.drop_table("discrepancy")
    with op.batch_alter_table("roll_row", schema=None) as batch_op:
        batch_op.drop_index("ix_roll_row_scope")
        batch_op.drop_index("ix_roll_row_period_person")
        batch_op.drop_index("ix_roll_row_period_card")
        batch_op.drop_index(batch_op.f("ix_roll_row_id_hash"))

    op.drop_table("roll_row")
    op.drop_table("ref_standard")
    with op.batch_alter_table("payment_roll", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_roll_programme_id"))
        batch_op.drop_index(batch_op.f("ix_payment_roll_period"))

    op.drop_table("payment_roll")
    with op.batch_alter_table("ref_beneficiary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ref_beneficiary_id_hash"))

    op.drop_table("ref_beneficiary")
    op.drop_table("comparison_rule_version")
    op.drop_table("ref_payroll")
    op.drop_table("ref_deceased")
    op.drop_table("comparison_rule")
    op.drop_table("comparison_keyring")
