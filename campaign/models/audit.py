"""The audit record: who did what, when, from where, and whether it worked.

Rows are never changed: the migrations add database triggers that refuse UPDATE, refuse
DELETE unless an archive run holds a permit for the row (AuditPermit), and refuse an INSERT
whose id does not follow the last record. Each row carries the hash of the one before it
(campaign.audit_chain), so a change made past the triggers is found by `ykt audit verify`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.db import Base, UTCDateTime

HASH_LENGTH = 64  # SHA-256, hex


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    success: Mapped[bool] = mapped_column(default=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(256), default="")
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class AuditHead(Base):
    """The chain's end: the last record's id and hash (or the last anchor's, or the start of
    an empty log), one row moved by the database after every insert (migration 0038). A
    writer locks it to link records; `ykt audit verify` checks that the log still reaches
    it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int]
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class AuditAnchor(Base):
    """Where the log starts after an archive run removed the records up to `archived_to_id`:
    the first remaining record links to `hash`. Append-only, like the log."""

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(primary_key=True)
    archived_to_id: Mapped[int] = mapped_column(unique=True)
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    count: Mapped[int]
    archive_file: Mapped[str] = mapped_column(String(255))
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class AuditPermit(Base):
    """Leave to delete the audit records up to `up_to_id`: the DELETE trigger refuses every
    other deletion. Only the archive run inserts one, and removes it in the same
    transaction, so none is ever committed."""

    __tablename__ = "audit_permit"

    id: Mapped[int] = mapped_column(primary_key=True)
    up_to_id: Mapped[int]
