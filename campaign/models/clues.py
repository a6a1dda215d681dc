"""Problem clues (问题线索) transferred to the discipline commission, and what it decided."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, select
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.ledger import Problem
from core import clock
from core.db import Base, UTCDateTime


class ClueStatus(StrEnum):
    PENDING = "pending"  # transferred, no outcome yet: the problem cannot close
    RETAINED = "retained"  # explicitly left with the commission: the problem may close
    CONCLUDED = "concluded"

    @property
    def label(self) -> str:
        return {"pending": "待处置", "retained": "留待纪检监察机关处理", "concluded": "已办结"}[
            self.value
        ]


# Sanction kinds, as the lists of the notice's practice; counted in persons.
PARTY_SANCTIONS = {
    "party_warning": "警告",
    "party_serious_warning": "严重警告",
    "party_removal": "撤销党内职务",
    "party_probation": "留党察看",
    "party_expulsion": "开除党籍",
}
GOVERNMENT_SANCTIONS = {
    "gov_warning": "警告",
    "gov_demerit": "记过",
    "gov_major_demerit": "记大过",
    "gov_demotion": "降级",
    "gov_dismissal_post": "撤职",
    "gov_expulsion": "开除",
}


def _problem_campaign(context: DefaultExecutionContext) -> int | None:
    """A clue belongs to its entry's campaign (when it was not given one)."""
    problem_id = context.get_current_parameters()["problem_id"]
    found: int | None = context.connection.scalar(
        select(Problem.campaign_id).where(Problem.id == problem_id)
    )
    return found


class Clue(Base):
    __tablename__ = "clue"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id"), index=True, default=_problem_campaign
    )
    number: Mapped[str] = mapped_column(String(48), unique=True)
    summary: Mapped[str] = mapped_column(Text)
    from_step: Mapped[str] = mapped_column(String(64))
    transferred_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    transferred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    status: Mapped[str] = mapped_column(String(16), default=ClueStatus.PENDING.value, index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id"))
    disposal: Mapped[str] = mapped_column(String(32), default="")  # 处置方式
    case_filed: Mapped[bool] = mapped_column(default=False)  # 立案
    # 被调查人员姓名, as entered: never shown in public, masked in the problem's public text.
    persons_named: Mapped[str] = mapped_column(Text, default="", server_default="")
    party_sanctioned: Mapped[int] = mapped_column(Integer, default=0)  # 党纪处分人数
    government_sanctioned: Mapped[int] = mapped_column(Integer, default=0)  # 政务处理人数
    sanctions_detail: Mapped[str] = mapped_column(Text, default="")  # JSON: kind -> persons
    exposure_cases: Mapped[int] = mapped_column(Integer, default=0)  # 通报曝光案件数量
    exposure_persons: Mapped[int] = mapped_column(Integer, default=0)  # 通报曝光人数
    recovered_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # 追缴收回资金
    returned_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # 返还发放资金
    voluntary_persons: Mapped[int] = mapped_column(Integer, default=0)  # 主动说明情况人数
    voluntary_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # 主动上缴资金
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    problem: Mapped[Problem] = relationship()

    @property
    def status_label(self) -> str:
        return ClueStatus(self.status).label
