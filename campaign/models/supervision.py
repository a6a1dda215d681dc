"""专项督办: an order (督办单) the leading group office issues about an item from a leader's
instruction (领导批示) or a media report (媒体曝光), and each unit's part of it: its feedback and
the office's closing, or return for more work."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.org import Unit
from core import clock
from core.db import Base, UTCDateTime

SUPERVISION_SOURCES = {"leader_instruction": "领导批示", "media_exposure": "媒体曝光"}

# A unit's part, as its case stands (campaign.supervision.follow_case).
PART_STATUS_LABELS = {
    "feedback": "待反馈",
    "review": "已反馈，待审核",
    "closed": "已办结",
}


class Supervision(Base):
    __tablename__ = "supervision"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # DB-2022-0001
    source: Mapped[str] = mapped_column(String(32))  # a key of SUPERVISION_SOURCES
    # Which instruction or report: 批示件号 or the outlet and date, as the office names it.
    source_ref: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)
    issued_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    parts: Mapped[list[SupervisionPart]] = relationship(
        back_populates="supervision", order_by="SupervisionPart.id"
    )

    @property
    def source_label(self) -> str:
        return SUPERVISION_SOURCES.get(self.source, self.source)

    @property
    def closed(self) -> bool:
        return all(p.status == "closed" for p in self.parts)


class SupervisionPart(Base):
    """One unit's part of an order: the record its case (workflows/supervision.bpmn) serves."""

    __tablename__ = "supervision_part"
    __table_args__ = (UniqueConstraint("supervision_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supervision_id: Mapped[int] = mapped_column(ForeignKey("supervision.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="feedback", index=True)
    # The unit's deadline: the order's, or the later one the office set on a return.
    deadline: Mapped[date] = mapped_column(Date)
    feedback: Mapped[str] = mapped_column(Text, default="")
    fed_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returns: Mapped[int] = mapped_column(Integer, default=0)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    closing_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id"))

    supervision: Mapped[Supervision] = relationship(back_populates="parts")
    unit: Mapped[Unit] = relationship()

    @property
    def status_label(self) -> str:
        return PART_STATUS_LABELS.get(self.status, self.status)
