"""What was found at each sampled household (抽查结果), and the villages the township's own
self-inspection visited (自查走访), so that a village never visited shows."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.ledger import Problem
from campaign.models.obligations import SpotCheckSample
from campaign.models.org import Unit
from core import clock
from core.db import Base, UTCDateTime


class SpotCheckResult(Base):
    """One visit to one sampled household, by the township (round "township") or, again, by
    the district's inspection team (round "district"): one result per household and round."""

    __tablename__ = "spot_check_result"
    __table_args__ = (UniqueConstraint("sample_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("spot_check_sample.id"))
    round: Mapped[str] = mapped_column(String(16), default="township")
    visited: Mapped[bool] = mapped_column(Boolean)
    visited_on: Mapped[date] = mapped_column(Date)
    # household (本人持有), cadre (村组干部或他人代管), none (无一卡通); empty when not visited
    card_holder: Mapped[str] = mapped_column(String(16), default="")
    amounts_as_listed: Mapped[bool | None] = mapped_column(Boolean)
    problem_found: Mapped[bool] = mapped_column(Boolean, default=False)
    # district round: whether the team's finding agrees with the township's for this household
    agrees: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The last correction (更正) while the report was still open; what the result said before
    # each correction is in the audit log (campaign.spot_check_corrections).
    corrections: Mapped[int] = mapped_column(Integer, default=0)
    corrected_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    correction_reason: Mapped[str] = mapped_column(Text, default="")

    sample: Mapped[SpotCheckSample] = relationship()
    problem: Mapped[Problem | None] = relationship()


class VillageVisit(Base):
    """A visit of the township's self-inspection to one village (到村到户), on one day."""

    __tablename__ = "village_visit"
    __table_args__ = (Index("ix_village_visit_campaign_village", "campaign_id", "village_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    households: Mapped[int] = mapped_column(Integer, default=0)
    persons: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    village: Mapped[Unit] = relationship(foreign_keys=[village_id])
