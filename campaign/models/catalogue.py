"""The campaign, its phases and reporting deadlines, and the two classifications."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base


class Campaign(Base):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    document_no: Mapped[str | None] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)
    # 举报电话 as the campaign publishes it (public pages, the tip-off form's notes).
    report_phone: Mapped[str | None] = mapped_column(String(64))
    # The campaign whose settings this one was created from (campaign.campaigns).
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"))

    phases: Mapped[list[CampaignPhase]] = relationship(
        back_populates="campaign", order_by="CampaignPhase.seq", cascade="all, delete-orphan"
    )
    deadlines: Mapped[list[ReportingDeadline]] = relationship(
        back_populates="campaign", order_by="ReportingDeadline.id", cascade="all, delete-orphan"
    )
    programmes: Mapped[list[Programme]] = relationship(
        back_populates="campaign", order_by="Programme.sort_order", cascade="all, delete-orphan"
    )


class CampaignPhase(Base):
    __tablename__ = "campaign_phase"
    __table_args__ = (UniqueConstraint("campaign_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    campaign: Mapped[Campaign] = relationship(back_populates="phases")


class ReportingDeadline(Base):
    """An obligation to report: monthly on a day of the month, or once by a date."""

    __tablename__ = "reporting_deadline"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    recurrence: Mapped[str] = mapped_column(String(16))  # "monthly" or "once"
    day_of_month: Mapped[int | None] = mapped_column(Integer)
    due_on: Mapped[date | None] = mapped_column(Date)
    # Comma-separated unit kinds that owe the report, e.g. "department,township".
    owed_by: Mapped[str] = mapped_column(String(100))
    recipient_code: Mapped[str] = mapped_column(String(32))

    campaign: Mapped[Campaign] = relationship(back_populates="deadlines")

    @property
    def owed_by_kinds(self) -> list[str]:
        return [k for k in self.owed_by.split(",") if k]


class Programme(Base):
    """A subsidy programme: one row of Attachment 2 (a sub-programme is a row of its own)."""

    __tablename__ = "programme"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))  # central, province, city, county
    sort_order: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id"))
    active: Mapped[bool] = mapped_column(default=True)

    campaign: Mapped[Campaign] = relationship(back_populates="programmes")


class FocusItem(Base):
    """One of the notice's 14 整治重点 items, in three groups."""

    __tablename__ = "focus_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # "1.1" .. "3.4"
    group_no: Mapped[int] = mapped_column(Integer)
    group_name: Mapped[str] = mapped_column(String(100))
    item_no: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))


class StatCategory(Base):
    """One of the 14 problem columns of Attachment 2."""

    __tablename__ = "stat_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    measure: Mapped[str] = mapped_column(String(8))  # "money" (万元) or "cards" (张)
    sort_order: Mapped[int] = mapped_column(Integer)
