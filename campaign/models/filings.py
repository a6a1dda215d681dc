"""Statutory tables as filed (报送留档): each filing keeps the exact figures, who filed and
checked them, when, and the workbook as it was handed over, never to change."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.accounts import User
from campaign.models.org import Unit
from core import clock
from core.db import Base, UTCDateTime


class FiledTable(StrEnum):
    ATTACHMENT2 = "attachment2"
    ATTACHMENT3 = "attachment3"
    ATTACHMENT3_BY_TOWNSHIP = "attachment3_township"

    @property
    def label(self) -> str:
        return FILED_TABLE_LABELS[self]

    @property
    def by_township(self) -> bool:
        return self is FiledTable.ATTACHMENT3_BY_TOWNSHIP


FILED_TABLE_LABELS = {
    FiledTable.ATTACHMENT2: "附件2 问题统计表",
    FiledTable.ATTACHMENT3: "附件3 问题情况汇总表",
    FiledTable.ATTACHMENT3_BY_TOWNSHIP: "附件3 问题情况汇总表（按乡镇）",
}


class ReportFiling(Base):
    """One table filed for one scope (campaign, unit, dates). Rows are append-only (database
    triggers refuse UPDATE and DELETE); `figures_sha256` and `workbook_sha256`, also written
    to the chained audit record of the filing, show that nothing was changed behind them.

    `scope_key` names the table and scope; `version` counts the filings of that scope from
    1, and the pair is unique, so two people filing the same scope at once cannot both be
    version N."""

    __tablename__ = "report_filing"
    __table_args__ = (UniqueConstraint("scope_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_kind: Mapped[str] = mapped_column(String(24))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    date_from: Mapped[date | None] = mapped_column(Date)
    date_to: Mapped[date | None] = mapped_column(Date)
    scope_key: Mapped[str] = mapped_column(String(160))
    version: Mapped[int] = mapped_column(Integer)
    filing_unit: Mapped[str] = mapped_column(String(128))  # 填表单位, the unit's name then
    period: Mapped[str] = mapped_column(String(64))
    # The canonical JSON of the table (labels, exact 分 and counts): its bytes are hashed.
    figures: Mapped[str] = mapped_column(Text)
    figures_sha256: Mapped[str] = mapped_column(String(64))
    workbook: Mapped[bytes] = mapped_column(LargeBinary)
    workbook_sha256: Mapped[str] = mapped_column(String(64))
    filed_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    filer_name: Mapped[str] = mapped_column(String(64))  # 填表人, as printed
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    reviewer_name: Mapped[str] = mapped_column(String(64))  # 审核人, as printed
    filed_on: Mapped[date] = mapped_column(Date)  # 填报日期, the day in Beijing
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    unit: Mapped[Unit] = relationship(lazy="joined")
    filer: Mapped[User] = relationship(foreign_keys=[filed_by])
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])

    @property
    def table(self) -> FiledTable:
        return FiledTable(self.table_kind)

    @property
    def short_hash(self) -> str:
        return self.figures_sha256[:12]
