"""People with accounts, the roles they hold in units, and their API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.org import Unit
from core import clock
from core.db import Base, UTCDateTime


class Role(StrEnum):
    OFFICER = "officer"
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    INSPECTOR = "inspector"
    DISCIPLINE = "discipline"
    ADMIN = "admin"
    SECURITY = "security"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.OFFICER: "经办人",
    Role.REVIEWER: "单位负责人（审核人）",
    Role.SUPERVISOR: "领导小组办公室",
    Role.INSPECTOR: "检查专班成员",
    Role.DISCIPLINE: "纪检监察",
    Role.ADMIN: "系统管理员",
    Role.SECURITY: "安全管理员",
    Role.AUDITOR: "审计管理员",
}

# 等保 三员: the system administrator (diagrams, units, reference data), the security
# administrator (accounts, roles, tokens) and the audit administrator (reads the log). Nobody
# holds two of them, and creating, resetting or granting one needs a second person.
DUTY_ROLES = frozenset({Role.ADMIN, Role.SECURITY, Role.AUDITOR})
# The roles a unit's own people hold: they register and see the unit's ledger and reports.
UNIT_ROLES = frozenset({Role.OFFICER, Role.REVIEWER})
# The roles that work tasks from an inbox (the administrator and the auditor do not: 等保).
WORKING_ROLES = UNIT_ROLES | {Role.SUPERVISOR, Role.INSPECTOR, Role.DISCIPLINE}
# The roles that read the statutory tables: a unit's own people and the leading group office.
REPORT_ROLES = UNIT_ROLES | {Role.SUPERVISOR}


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Where notices also go (e-mail, SMS), when the security administrator has entered them.
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    mobile: Mapped[str] = mapped_column(String(20), default="", server_default="")

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # The attributes flask-login reads, without importing it below web/.
    @property
    def is_active(self) -> bool:
        return self.enabled

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # flask-login asks for this at login; web.security.sign_in puts the key of the
        # server-side login session (campaign.sessions) in its place, so nothing that can be
        # derived from the account (its id) ever names a session.
        return ""

    def is_locked(self, now: datetime) -> bool:
        """Temporarily locked after too many wrong passwords (campaign.login)."""
        return self.locked_until is not None and self.locked_until > now

    def has_role(self, role: str, unit_id: int | None = None) -> bool:
        return any(r.role == role and (unit_id is None or r.unit_id == unit_id) for r in self.roles)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class RoleAssignment(Base):
    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit] = relationship(lazy="joined")

    @property
    def role_label(self) -> str:
        return Role(self.role).label


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    # sha256 of the token: the token has 256 bits of entropy, so a slow hash adds nothing.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Written at most once a minute (campaign.tokens.TOUCH_INTERVAL), not on every call.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def status(self, now: datetime) -> str:
        """revoked, expired or active (TOKEN_STATUS_LABELS says them in Chinese)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "active"


TOKEN_STATUS_LABELS = {"active": "有效", "expired": "已过期", "revoked": "已吊销"}
