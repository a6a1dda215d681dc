"""the audit chain's end in a row of its own, kept by the database: a new record is linked to
it by one statement

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-01 10:00:00.000000

Linking a record took three statements on PostgreSQL (an advisory lock, a read of the last
record, the insert) and two on SQLite. `audit_head` holds the last record's id and hash
(or the last anchor's, or the genesis link of an empty log). After every insert into
`audit_event` the database moves it to the highest new record: PostgreSQL's per-statement
order check (0019) does it too, SQLite has a row trigger. A writer locks the row (SELECT ...
FOR UPDATE, or an INSERT ... SELECT from it FOR UPDATE) instead of the advisory lock, so
records are still linked one transaction at a time; a statement that waited for the lock
reads the row as the other transaction left it. `ykt_sha256_hex(text)` lets that one
statement hash the record's canonical form as campaign.audit_chain does (PostgreSQL: a SQL
function here; SQLite: registered on each connection, core.db).

The row also says where the log must end: `ykt audit verify` finds records removed from
its end, which no link after them could show.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64

# 0019's per-statement check, and now the head moved to the highest new record.
_STATEMENT_CHECK = (
    "CREATE OR REPLACE FUNCTION audit_event_in_order_statement() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ DECLARE lowest integer; highest integer; added bigint; BEGIN "
    "SELECT MIN(id), MAX(id), COUNT(*) INTO lowest, highest, added FROM new_records; "
    "IF lowest IS NULL THEN RETURN NULL; END IF; "
    "IF lowest <= (SELECT COALESCE(MAX(archived_to_id), 0) FROM audit_anchor) "
    "OR (SELECT COUNT(*) FROM audit_event WHERE id >= lowest) <> added THEN "
    "RAISE EXCEPTION 'audit_event is append-only: a new record must follow the last one'; "
    "END IF; "
    "IF highest > COALESCE(pg_sequence_last_value('audit_event_high_water'), -1) THEN "
    "PERFORM setval('audit_event_high_water', highest); END IF; "
    "{head}"
    "RETURN NULL; END $$"
)
_MOVE_HEAD = (
    "UPDATE audit_head SET last_id = highest, "
    "hash = (SELECT hash FROM new_records WHERE id = highest) "
    "WHERE id = 1 AND last_id < highest; "
)


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # No record committed meanwhile (by a process of the version before) behind the end.
        op.execute("LOCK TABLE audit_event IN SHARE ROW EXCLUSIVE MODE")
    # The last record, else the last anchor, else the start of an empty log.
    op.get_bind().execute(
        sa.text(
            "INSERT INTO audit_head (id, last_id, hash) SELECT 1, last_id, hash FROM ("
            "SELECT id AS last_id, hash, 2 AS rank FROM audit_event "
            "WHERE id = (SELECT MAX(id) FROM audit_event) "
            "UNION ALL SELECT archived_to_id, hash, 1 FROM audit_anchor "
            "WHERE archived_to_id = (SELECT MAX(archived_to_id) FROM audit_anchor) "
            "UNION ALL SELECT 0, :genesis, 0) AS candidates "
            "ORDER BY rank DESC LIMIT 1"
        ),
        {"genesis": GENESIS},
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ykt_sha256_hex(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT "
            "PARALLEL SAFE AS $$ SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') $$"
        )
        op.execute(_STATEMENT_CHECK.replace("{head}", _MOVE_HEAD))
        return
    op.execute(
        "CREATE TRIGGER audit_head_follows AFTER INSERT ON audit_event "
        "BEGIN UPDATE audit_head SET last_id = NEW.id, hash = NEW.hash "
        "WHERE id = 1 AND last_id < NEW.id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_STATEMENT_CHECK.replace("{head}", ""))
        op.execute("DROP FUNCTION ykt_sha256_hex(text)")
    else:
        op.execute("DROP TRIGGER audit_head_follows")
    op.drop_table("audit_head")
