"""In-app notifications (new work, send-backs, reminders, escalations, 催办), the reminders
and urges already sent, and the outbox of deliveries through other channels."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.db import Base, UTCDateTime


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        # One notice of each kind per person and task: re-running a job never repeats it.
        UniqueConstraint("user_id", "work_item_id", "kind"),
        Index("ix_notification_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    # assigned, returned, reassigned, overdue; remind<offset> (remind-3d, remind0, remind+1d)
    # for a reminder of the policy; urge<yyyymmdd> for a 催办 (campaign.notice_texts.KINDS).
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(300))
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_item.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the deliverer put the notice in the outbox of the other channels (or found none
    # for it); NULL until then. Notices made before channels existed are marked as done.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class ReminderSent(Base):
    """A reminder of the policy that has been sent for a task: the key that makes each
    reminder go out once per task and offset, however many schedulers run the job."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("work_item_id", "offset_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_item.id"))
    offset_key: Mapped[str] = mapped_column(String(16))  # -3d, 0, +1d as in the policy
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the deadline it was about
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    notices: Mapped[int] = mapped_column(Integer, default=0)


class Urge(Base):
    """A 催办 by the leading group office: at most one per task and (Beijing) day."""

    __tablename__ = "urge"
    __table_args__ = (UniqueConstraint("work_item_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_item.id"))
    day: Mapped[date] = mapped_column(Date)
    urged_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    urged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    note: Mapped[str] = mapped_column(String(200), default="")


class DeliveryStatus:
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt


class Delivery(Base):
    """One notice to one person through one channel (e-mail, SMS): the outbox row the
    deliverer works through, never in the transaction that made the notice."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notification: Mapped[Notification] = relationship()
