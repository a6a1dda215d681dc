"""效果评估: a follow-up visit (回访) or a questionnaire (问卷) about a closed problem: was the
household satisfied, did the money arrive."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.ledger import Problem
from campaign.models.org import Unit
from core import clock
from core.db import Base, UTCDateTime

METHODS = {"visit": "现场回访", "household": "入户调查", "questionnaire": "问卷调查"}
SATISFACTION = {"satisfied": "满意", "fair": "基本满意", "dissatisfied": "不满意"}
MONEY = {
    "arrived": "已足额到位",
    "partly": "部分到位",
    "not_arrived": "未到位",
    "none": "不涉及资金",
}
EVALUATION_STATUS_LABELS = {"visiting": "待回访", "done": "已回访"}


class Evaluation(Base):
    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)  # who visits
    method: Mapped[str] = mapped_column(String(16))  # a key of METHODS
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="visiting", index=True)
    visited_on: Mapped[date | None] = mapped_column(Date)
    satisfaction: Mapped[str] = mapped_column(String(16), default="")  # a key of SATISFACTION
    money: Mapped[str] = mapped_column(String(16), default="")  # a key of MONEY
    note: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id"))

    problem: Mapped[Problem] = relationship()
    unit: Mapped[Unit] = relationship()

    @property
    def method_label(self) -> str:
        return METHODS.get(self.method, self.method)

    @property
    def status_label(self) -> str:
        return EVALUATION_STATUS_LABELS.get(self.status, self.status)

    @property
    def satisfaction_label(self) -> str:
        return SATISFACTION.get(self.satisfaction, "")

    @property
    def money_label(self) -> str:
        return MONEY.get(self.money, "")
