"""Login sessions, kept on the server.

The browser's cookie carries only a random key; the session it names is a `login_session`
row, so the server can end it: at logout, when the password changes or the account is
disabled (every session of the user), and after 30 minutes without a request. A cookie
copied before any of these is worthless afterwards, whatever it says.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from campaign import audit
from campaign.models import LoginSession, User
from core import clock

IDLE_TIMEOUT_MINUTES = 30
IDLE_TIMEOUT = timedelta(minutes=IDLE_TIMEOUT_MINUTES)
# last_seen is written when it is at least this old, not on every request: a write per page
# would cost more than the minute of precision it buys the idle timeout (a session may end
# up to a minute early, never late).
TOUCH_INTERVAL = timedelta(minutes=1)


class EndReason(StrEnum):
    LOGOUT = "logout"
    IDLE = "idle"
    # The password was changed by the person or reset by an administrator.
    PASSWORD = "password"  # noqa: S105 (a reason, not a secret)
    DISABLED = "disabled"
    # The current password was mistyped too often on the password form.
    PASSWORD_ATTEMPTS = "password_attempts"  # noqa: S105 (a reason, not a secret)


@dataclass(frozen=True)
class Resumed:
    """The person a key lets in, or None; `ended` says why when the key named a session
    that is over (it ended just now when idle)."""

    user: User | None
    ended: EndReason | None = None


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _by_key(session: Session, key: str) -> LoginSession | None:
    if not key:
        return None
    return session.scalars(_BY_KEY, {"key_hash": _digest(key)}).unique().first()


# The session, its person and the person's roles in one statement, built once: every request
# asks, and building it cost more than running it.
_BY_KEY = (
    select(LoginSession)
    .where(LoginSession.key_hash == bindparam("key_hash"))
    .options(joinedload(LoginSession.user).joinedload(User.roles))
)


def open_session(session: Session, user: User, *, source: str = "") -> str:
    """A new login session for someone who just proved who they are; returns its key, which
    only the cookie keeps."""
    key = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        LoginSession(
            key_hash=_digest(key),
            user_id=user.id,
            source=source[:64],
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return key


def session_id(session: Session, key: str) -> int | None:
    """The row id of the session a key names, for audit records that refer to it."""
    row = _by_key(session, key)
    return row.id if row is not None else None


def resume(session: Session, key: str, *, source: str = "") -> Resumed:
    """The person behind a key, when its session is open; a session idle for longer than the
    timeout ends now."""
    row = _by_key(session, key)
    if row is None:
        return Resumed(None)
    if row.ended_at is not None:
        # A cookie of a session that is over: the person's own stale tab, or a copy replayed.
        audit.record_refusal(
            session,
            "auth.session_refused",
            actor=row.user,
            target=f"user:{row.user.username}",
            login_session=row.id,
            reason=row.ended_reason,
        )
        return Resumed(None, EndReason(row.ended_reason or EndReason.LOGOUT))
    now = clock.now()
    if now - row.last_seen_at > IDLE_TIMEOUT:
        _end(row, EndReason.IDLE)
        audit.record(
            session,
            "auth.session_end",
            target=f"user:{row.user.username}",
            reason=EndReason.IDLE.value,
            sessions=1,
        )
        return Resumed(None, EndReason.IDLE)
    if not row.user.enabled:  # disabling ends the sessions; this holds even were it not so
        return Resumed(None, EndReason.DISABLED)
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        row.last_seen_at = now
    return Resumed(row.user)


def log_out(session: Session, user: User, key: str, *, source: str = "") -> None:
    """The person ends their session: its key lets nobody in any more."""
    row = _by_key(session, key)
    if row is not None and row.user_id == user.id and row.ended_at is None:
        _end(row, EndReason.LOGOUT)
    audit.record(
        session,
        "auth.logout",
        actor=user,
        login_session=row.id if row is not None else None,
    )


def end_session(session: Session, key: str, reason: EndReason) -> None:
    row = _by_key(session, key)
    if row is not None and row.ended_at is None:
        _end(row, reason)


def end_all(
    session: Session,
    user: User,
    reason: EndReason,
    *,
    actor: User | None = None,
    source: str = "",
) -> int:
    """End every open session of a user (password changed, account disabled); recorded in
    the audit log with how many there were, when there were any."""
    rows = session.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    ).all()
    for row in rows:
        _end(row, reason)
    if not rows:
        return 0
    audit.record(
        session,
        "auth.session_end",
        actor=actor,
        target=f"user:{user.username}",
        reason=reason.value,
        sessions=len(rows),
    )
    return len(rows)


def _end(row: LoginSession, reason: EndReason) -> None:
    row.ended_at = clock.now()
    row.ended_reason = reason.value
