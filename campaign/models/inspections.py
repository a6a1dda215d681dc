"""明察暗访: an unannounced visit by the leading group office's team (date, places, team) and
the problems it found, each a ledger entry registered as any other."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.ledger import Problem
from core import clock
from core.db import Base, UTCDateTime

INSPECTION_STATUS_LABELS = {"recording": "登记发现问题中", "done": "已小结"}


class Inspection(Base):
    __tablename__ = "inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # AF-2022-001
    visited_on: Mapped[date] = mapped_column(Date)
    places: Mapped[str] = mapped_column(Text)  # townships, villages, households visited
    team: Mapped[str] = mapped_column(String(500))  # who went
    summary: Mapped[str] = mapped_column(Text, default="")  # 暗访情况小结, at the end
    status: Mapped[str] = mapped_column(String(16), default="recording")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id"))

    findings: Mapped[list[InspectionFinding]] = relationship(
        back_populates="inspection", order_by="InspectionFinding.id"
    )

    @property
    def status_label(self) -> str:
        return INSPECTION_STATUS_LABELS.get(self.status, self.status)


class InspectionFinding(Base):
    """A problem the visit found: the ledger entry it was registered as."""

    __tablename__ = "inspection_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), index=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id"), unique=True)

    inspection: Mapped[Inspection] = relationship(back_populates="findings")
    problem: Mapped[Problem] = relationship()
