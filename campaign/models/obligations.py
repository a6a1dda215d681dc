"""Reports units owe by a date (月报, 抽查报告, 阶段总结, 年度总结), households of villages and
the spot-check samples drawn from them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    true,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from campaign.models.catalogue import ReportingDeadline
from campaign.models.org import Unit
from core.db import Base, UTCDateTime


class Obligation(Base):
    """One report one unit owes for one period; (deadline, period, unit) never repeats, so
    starting obligations again can never duplicate one."""

    __tablename__ = "obligation"
    __table_args__ = (
        UniqueConstraint("campaign_id", "deadline_code", "period", "unit_id"),
        Index("ix_obligation_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    deadline_code: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(16))  # "2022-06" for monthly, "2022" for once
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    # open, submitted (filed by the unit), returned (sent back by the office until refiled)
    status: Mapped[str] = mapped_column(String(16), default="open")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # Figures of the monthly report (到村到户调查, “一卡通”摸排), feeding Attachment 3.
    visited_persons: Mapped[int] = mapped_column(Integer, default=0)
    visited_households: Mapped[int] = mapped_column(Integer, default=0)
    cards_found: Mapped[int] = mapped_column(Integer, default=0)
    banks_involved: Mapped[int] = mapped_column(Integer, default=0)
    cards_illegal: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[str] = mapped_column(Text, default="")
    sample_seed: Mapped[int | None] = mapped_column(Integer)
    # Figures of the spot-check report, checked against the villages and the ledger.
    households_checked: Mapped[int | None] = mapped_column(Integer)
    problems_found: Mapped[int | None] = mapped_column(Integer)
    # The office's reading of a filed report (审阅): accepted, or returned with a reason.
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    return_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    times_returned: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The report's name (its deadline's: 阶段性工作总结, 年度工作总结), read with the row: the
    # one name every list and notice gives it. Two reports may share a diagram (工作总结).
    report_name: Mapped[str | None] = column_property(
        select(ReportingDeadline.name)
        .where(
            ReportingDeadline.campaign_id == campaign_id,
            ReportingDeadline.code == deadline_code,
        )
        .correlate_except(ReportingDeadline)
        .scalar_subquery()
    )

    unit: Mapped[Unit] = relationship()


class Household(Base):
    """A household of a village's list, the population spot checks are drawn from."""

    __tablename__ = "household"
    __table_args__ = (UniqueConstraint("campaign_id", "village_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Each campaign keeps its own list: the next one starts from a copy of the active
    # households (campaign.campaigns.start), and the ended campaign's stays as it was.
    # (The unique constraint's index starts with it.)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    head_name: Mapped[str] = mapped_column(String(64))
    members: Mapped[int] = mapped_column(Integer, default=1)
    # Entered by the administrator (campaign.households); the demo's households have none.
    # 身份证号 and 卡号 encrypted and hashed under the keys of 数据比对
    # (campaign.comparison.protection), shown masked but on the page that reveals them.
    id_cipher: Mapped[str | None] = mapped_column(Text)
    id_hash: Mapped[str | None] = mapped_column(String(32), index=True)
    id_last4: Mapped[str | None] = mapped_column(String(4))
    card_cipher: Mapped[str | None] = mapped_column(Text)
    card_hash: Mapped[str | None] = mapped_column(String(32))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    phone: Mapped[str | None] = mapped_column(String(20))
    # 户类型 (campaign.comparison.household_types), "" when not recorded: the household type
    # rule of 数据比对 compares it with the programme's standard.
    household_type: Mapped[str] = mapped_column(String(8), default="", server_default="")
    # A household that left the list stays for the samples and results that name it.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())


class SpotCheckSample(Base):
    __tablename__ = "spot_check_sample"
    __table_args__ = (UniqueConstraint("obligation_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligation.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))

    household: Mapped[Household] = relationship()
