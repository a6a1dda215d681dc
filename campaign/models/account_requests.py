"""Account changes waiting for a second person (等保 三员: creating, resetting, granting or
enabling again a system, security or audit administrator is requested by one security
administrator and carried out only when another approves it)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.accounts import User
from core import clock
from core.db import Base, UTCDateTime


class RequestKind(StrEnum):
    CREATE = "create"  # a new account with its first role
    GRANT = "grant"  # a further role for an existing account
    RESET = "reset"  # a new password for an existing account
    ENABLE = "enable"  # a disabled account may sign in again

    @property
    def label(self) -> str:
        return {
            "create": "新建账户",
            "grant": "授予角色",
            "reset": "重置密码",
            "enable": "启用账户",
        }[self.value]


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class AccountRequest(Base):
    __tablename__ = "account_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(64), default="")
    unit_code: Mapped[str] = mapped_column(String(32), default="")
    role: Mapped[str] = mapped_column(String(16), default="")
    # The new password as its argon2 hash: the second person never sees it.
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    requested_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    status: Mapped[str] = mapped_column(String(16), default=RequestStatus.PENDING.value, index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(200), default="")

    requester: Mapped[User] = relationship(foreign_keys=[requested_by])
    decider: Mapped[User | None] = relationship(foreign_keys=[decided_by])

    @property
    def kind_label(self) -> str:
        return RequestKind(self.kind).label
