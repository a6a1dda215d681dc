"""问责: a decision about a unit or a person that 推诿扯皮 or did not act (不作为), with its
grounds, and the overdue tasks and returned reports that led to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.obligations import Obligation
from campaign.models.org import Unit
from core import clock
from core.db import Base, UTCDateTime

MEASURES = {
    "interview": "约谈",
    "criticism": "通报批评",
    "self_review": "责令作出书面检查",
    "admonish": "诫勉",
    "transfer": "移送纪检监察机关",
}
CONDUCTS = {
    "buck_passing": "推诿扯皮",
    "inaction": "不作为",
    "slow_action": "慢作为",
    "false_report": "弄虚作假",
    "other": "其他",
}
ACCOUNTABILITY_STATUS_LABELS = {
    "proposed": "待审批",
    "decided": "已决定，待单位签收",
    "done": "已问责",
    "rejected": "不予问责",
}


class Accountability(Base):
    __tablename__ = "accountability"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # WZ-2022-001
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(100), default="")  # empty: the unit
    person_post: Mapped[str] = mapped_column(String(100), default="")
    measure: Mapped[str] = mapped_column(String(32))  # a key of MEASURES
    conduct: Mapped[str] = mapped_column(String(32))  # a key of CONDUCTS
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="proposed", index=True)
    opinion: Mapped[str] = mapped_column(Text, default="")  # the approver's
    unit_response: Mapped[str] = mapped_column(Text, default="")  # the unit's, on 签收
    proposed_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id"))

    unit: Mapped[Unit] = relationship()
    grounds_items: Mapped[list[AccountabilityGround]] = relationship(
        back_populates="accountability", order_by="AccountabilityGround.id"
    )

    @property
    def status_label(self) -> str:
        return ACCOUNTABILITY_STATUS_LABELS.get(self.status, self.status)

    @property
    def measure_label(self) -> str:
        return MEASURES.get(self.measure, self.measure)

    @property
    def conduct_label(self) -> str:
        return CONDUCTS.get(self.conduct, self.conduct)

    @property
    def target(self) -> str:
        if not self.person_name:
            return self.unit.name
        post = f"（{self.person_post}）" if self.person_post else ""
        return f"{self.unit.name} {self.person_name}{post}"


class AccountabilityGround(Base):
    """One overdue task or one returned report a decision rests on, as it stood when chosen
    (`described`), since the task may be done and the report filed again afterwards."""

    __tablename__ = "accountability_ground"

    id: Mapped[int] = mapped_column(primary_key=True)
    accountability_id: Mapped[int] = mapped_column(ForeignKey("accountability.id"), index=True)
    work_item_id: Mapped[int | None] = mapped_column(ForeignKey("work_item.id"))
    obligation_id: Mapped[int | None] = mapped_column(ForeignKey("obligation.id"))
    described: Mapped[str] = mapped_column(String(300))

    accountability: Mapped[Accountability] = relationship(back_populates="grounds_items")
    obligation: Mapped[Obligation | None] = relationship()
