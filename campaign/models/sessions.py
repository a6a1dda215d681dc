"""Login sessions kept on the server, and the login failures counted per client address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign.models.accounts import User
from core import clock
from core.db import Base, UTCDateTime


class LoginSession(Base):
    """One browser login, from the login to its end (logout, idle, password, disable).

    The cookie carries a random key; only its sha256 is stored, so a copy of the table (a
    backup) names no usable session."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the key: it has 256 bits of entropy, so a slow hash adds nothing.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Written at most once a minute (campaign.sessions.TOUCH_INTERVAL), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship()


class LoginThrottle(Base):
    """Failed logins from one client address in the current window, and until when the
    address is refused (campaign.login). In the database, not in memory, so that every
    process of the server agrees."""

    __tablename__ = "login_throttle"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
