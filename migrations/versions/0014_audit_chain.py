"""audit chain: where a record came from (ip, user agent), the hash chain, archive anchors and
the permit that lets an archive run, and nothing else, remove records

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 08:00:00.000000

The existing records are chained here, in id order, so that `ykt audit verify` passes on an
upgraded database. Their content is left as it was: before this revision a login's address
was kept in `source`, and it stays there. The hash is campaign.audit_chain's (`plain`,
`digest`): that is the log's format, and a later change of it needs a migration that chains
the records again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from campaign.audit_chain import FIELDS, GENESIS, digest, plain
from migrations.append_only import drop_append_only, make_append_only

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = "audit_event is append-only"
OUT_OF_ORDER = "audit_event is append-only: a new record must follow the last one"

_audit = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()),
    sa.column("at", core.db.UTCDateTime()),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor_name", sa.String()),
    sa.column("action", sa.String()),
    sa.column("target", sa.String()),
    sa.column("success", sa.Boolean()),
    sa.column("source", sa.String()),
    sa.column("detail", sa.Text()),
    sa.column("ip", sa.String()),
    sa.column("user_agent", sa.String()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def upgrade() -> None:
    drop_append_only("audit_event")  # the triggers are made again below, with the permit
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("archived_to_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("archive_file", sa.String(length=255), nullable=False),
        sa.Column("archived_at", core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchor")),
        sa.UniqueConstraint("archived_to_id", name=op.f("uq_audit_anchor_archived_to_id")),
    )
    op.create_table(
        "audit_permit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("up_to_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_permit")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ip", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("user_agent", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_records()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("ip", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("user_agent", existing_type=sa.String(length=256), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
    _make_triggers()
    make_append_only("audit_anchor")


def _chain_existing_records() -> None:
    bind = op.get_bind()
    columns = [_audit.c[name] for name in FIELDS if name not in ("ip", "user_agent", "prev_hash")]
    rows = bind.execute(sa.select(*columns).order_by(_audit.c.id)).mappings().all()
    last_hash = GENESIS
    updates = []
    for row in rows:
        values = plain(dict(row) | {"ip": "", "user_agent": "", "prev_hash": last_hash})
        updates.append(
            {"key": row["id"], "ip": "", "ua": "", "prev": last_hash, "hash": digest(values)}
        )
        last_hash = updates[-1]["hash"]
    if updates:
        bind.execute(
            _audit.update()
            .where(_audit.c.id == sa.bindparam("key"))
            .values(
                ip=sa.bindparam("ip"),
                user_agent=sa.bindparam("ua"),
                prev_hash=sa.bindparam("prev"),
                hash=sa.bindparam("hash"),
            ),
            updates,
        )


def _make_triggers() -> None:
    """UPDATE refused; DELETE refused unless a permit covers the row; an INSERT must follow
    the last record (and the last archive's anchor), which also stops SQLite's REPLACE
    from rewriting a row: it inserts over an existing id, and would fire no DELETE trigger
    without PRAGMA recursive_triggers."""
    last = (
        "(SELECT COALESCE(MAX(id), 0) FROM audit_event)",
        "(SELECT COALESCE(MAX(archived_to_id), 0) FROM audit_anchor)",
    )
    permitted = "EXISTS (SELECT 1 FROM audit_permit WHERE up_to_id >= OLD.id)"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE FUNCTION audit_event_delete_permitted() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN IF {permitted} THEN RETURN OLD; END IF; "
            f"RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE FUNCTION audit_event_in_order() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF NEW.id IS NULL OR NEW.id <= GREATEST({last[0]}, {last[1]}) THEN "
            f"RAISE EXCEPTION '{OUT_OF_ORDER}'; END IF; RETURN NEW; END $$"
        )
        for name, timing, function in (
            ("audit_event_no_update", "BEFORE UPDATE", "audit_event_append_only"),
            ("audit_event_no_delete", "BEFORE DELETE", "audit_event_delete_permitted"),
            ("audit_event_in_order", "BEFORE INSERT", "audit_event_in_order"),
        ):
            op.execute(
                f"CREATE TRIGGER {name} {timing} ON audit_event "
                f"FOR EACH ROW EXECUTE FUNCTION {function}()"
            )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
        return
    op.execute(
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
    )
    op.execute(
        f"CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event WHEN NOT {permitted} "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_event_in_order BEFORE INSERT ON audit_event "
        f"WHEN NEW.id IS NULL OR NEW.id <= MAX({last[0]}, {last[1]}) "
        f"BEGIN SELECT RAISE(ABORT, '{OUT_OF_ORDER}'); END"
    )


def _drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in (
            "audit_event_no_update",
            "audit_event_no_delete",
            "audit_event_in_order",
            "audit_event_no_truncate",
        ):
            op.execute(f"DROP TRIGGER {name} ON audit_event")
        for function in (
            "audit_event_append_only",
            "audit_event_delete_permitted",
            "audit_event_in_order",
        ):
            op.execute(f"DROP FUNCTION {function}()")
    else:
        for name in ("audit_event_no_update", "audit_event_no_delete", "audit_event_in_order"):
            op.execute(f"DROP TRIGGER {name}")


def downgrade() -> None:
    _drop_triggers()
    drop_append_only("audit_anchor")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("user_agent")
        batch_op.drop_column("ip")
    op.drop_table("audit_permit")
    op.drop_table("audit_anchor")
    make_append_only("audit_event")
