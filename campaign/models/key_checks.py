"""District key checks (重点检查) of townships by the inspection teams of Attachment 1."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.org import Unit
from core import clock
from core.db import Base, UTCDateTime


class KeyCheck(Base):
    __tablename__ = "key_check"
    __table_args__ = (UniqueConstraint("campaign_id", "township_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    chosen_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    status: Mapped[str] = mapped_column(String(16), default="checking")  # checking, done
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    # The team's rating of the township's self-inspection (好 / 较好 / 一般 / 差), with why.
    rating: Mapped[str] = mapped_column(String(16), default="", server_default="")
    rating_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    township: Mapped[Unit] = relationship(foreign_keys=[township_id])
    team: Mapped[Unit] = relationship(foreign_keys=[team_id])
