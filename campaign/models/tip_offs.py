"""Reports from the public (群众举报): from the portal or taken by phone, and what became
of each one (受理 → 分办 → 核实 → 反馈)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.catalogue import Programme
from campaign.models.ledger import Problem
from campaign.models.org import Unit
from core import clock
from core.db import Base, UTCDateTime


class TipOffStatus(StrEnum):
    RECEIVED = "received"  # waiting for 受理
    ACCEPTED = "accepted"  # accepted, waiting for 分办
    VERIFYING = "verifying"  # with the responsible unit
    VERIFIED = "verified"  # verified, the office writes the feedback
    ANSWERED = "answered"  # feedback given: done
    REJECTED = "rejected"  # not within the campaign's scope: done, with the reason

    @property
    def label(self) -> str:
        return TIP_OFF_STATUS_LABELS[self.value]


# As the reporter reads them (the query page) and as the office's list shows them.
TIP_OFF_STATUS_LABELS = {
    "received": "已收到，待受理",
    "accepted": "已受理，待分办",
    "verifying": "已分办，核实中",
    "verified": "核实完毕，待反馈",
    "answered": "已反馈",
    "rejected": "不予受理",
}

CHANNEL_LABELS = {"portal": "门户网站", "phone": "举报电话"}
VERDICT_LABELS = {"true": "属实", "false": "不属实"}


class TipOff(Base):
    __tablename__ = "tip_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), index=True)
    # JB-2022-0001: how the office and the units name it.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # The reporter's query code: random, shown once, the only key to the query page.
    code: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    account: Mapped[str] = mapped_column(Text)  # what happened, in the reporter's words
    # The reporter's own contact (optional) and a caller's phone: never shown to the public,
    # the phone masked except on the page that reveals it, recorded in the audit log.
    contact: Mapped[str] = mapped_column(String(100), default="")
    caller_phone: Mapped[str] = mapped_column(String(20), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    received_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(16), default=TipOffStatus.RECEIVED.value, index=True)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    responsible_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    verdict: Mapped[str] = mapped_column(String(8), default="")  # "true", "false"
    findings: Mapped[str] = mapped_column(Text, default="")
    feedback: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case_instance.id"))

    programme: Mapped[Programme] = relationship()
    township: Mapped[Unit] = relationship(foreign_keys=[township_id])
    village: Mapped[Unit | None] = relationship(foreign_keys=[village_id])
    responsible_unit: Mapped[Unit | None] = relationship(foreign_keys=[responsible_unit_id])
    problem: Mapped[Problem | None] = relationship()

    @property
    def status_label(self) -> str:
        return TIP_OFF_STATUS_LABELS.get(self.status, self.status)

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS.get(self.verdict, "")

    @property
    def place(self) -> str:
        return self.township.name + (f" {self.village.name}" if self.village else "")


class TipOffThrottle(Base):
    """Reports sent from one client address through the portal in the current window
    (campaign.tip_off_intake), kept in the database as login_throttle is, so that every
    process of the server counts the same."""

    __tablename__ = "tip_off_throttle"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    submissions: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
