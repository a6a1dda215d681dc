"""Logging in: the password check, throttled per account and per client address.

Every failure gets the same answer in the same time, whatever its cause (no such user, a
wrong password, a locked account, a disabled one, an address refused): each spends one
argon2 verification and says FAILURE_MESSAGE, so neither the text nor the clock tells an
attacker which user names exist or whether a lock they caused has taken hold.

- Five wrong passwords in a row lock the account for 15 minutes (the password form's wrong
  current passwords count too, and there the lock also ends the account's sessions).
- Twenty failures from one address within 15 minutes refuse that address for 15 minutes,
  whatever account it tries, a right password included. A success does not clear the
  address's count: else one account of one's own would reset it between guesses. The
  counts are rows (`login_throttle`), so every process of the server agrees on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign import audit, passwords, sessions
from campaign.models import LoginThrottle, User
from core import clock

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MAX_ADDRESS_FAILURES = 20
ADDRESS_WINDOW = timedelta(minutes=15)
ADDRESS_BLOCK = timedelta(minutes=15)

# Names every cause without claiming one: a disabled account must not be told it is locked.
FAILURE_MESSAGE = (
    "用户名或密码错误，或账户暂不可用（多次输错密码锁定 15 分钟后自动解除；"
    "停用的账户请联系安全管理员）"
)


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    DISABLED = "disabled"
    ADDRESS_BLOCKED = "address_blocked"


@dataclass(frozen=True)
class LoginResult:
    """How a login went. The outcome is for the audit log and tests; the person sees only
    `message`, the same for every failure."""

    outcome: LoginOutcome
    user: User | None = None

    @property
    def message(self) -> str:
        return "" if self.outcome is LoginOutcome.OK else FAILURE_MESSAGE


def authenticate(
    session: Session, username: str, password: str, *, source: str = ""
) -> LoginResult:
    """Check a login from a client address (`source`; '' is not throttled by address)."""
    now = clock.now()
    if _address_blocked(session, source, now):
        passwords.burn_verification_time(password)
        _record_failure(session, username, None, source, "address blocked")
        return LoginResult(LoginOutcome.ADDRESS_BLOCKED)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        passwords.burn_verification_time(password)
        _record_failure(session, username, None, source, "unknown user")
        _count_address_failure(session, source, now)
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    if user.is_locked(now):
        # Verified although the answer is no whatever the password: the same time as a
        # wrong password, so the lock does not show.
        passwords.verify_password(user.password_hash, password)
        _record_failure(session, username, user, source, "locked")
        _count_address_failure(session, source, now)
        return LoginResult(LoginOutcome.LOCKED)
    if not passwords.verify_password(user.password_hash, password):
        locked = count_account_failure(session, user, source=source, by="login")
        _record_failure(session, username, user, source, "wrong password", locked=locked)
        _count_address_failure(session, source, now)
        return LoginResult(LoginOutcome.LOCKED if locked else LoginOutcome.BAD_CREDENTIALS)
    if not user.enabled:
        _record_failure(session, username, user, source, "disabled")
        _count_address_failure(session, source, now)
        return LoginResult(LoginOutcome.DISABLED)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, "auth.login", actor=user)
    return LoginResult(LoginOutcome.OK, user=user)


def count_account_failure(session: Session, user: User, *, source: str = "", by: str) -> bool:
    """One more wrong password for the account; the fifth in a row locks it. Returns whether
    it did. `by` says where the password was typed (login, password form)."""
    # Re-read under a row lock: concurrent failures must each count (PostgreSQL; SQLite
    # serialises writers anyway).
    session.refresh(user, with_for_update=True)
    user.failed_logins += 1
    if user.failed_logins < MAX_FAILED_LOGINS:
        return False
    user.failed_logins = 0
    user.locked_until = clock.now() + LOCKOUT
    audit.record(
        session,
        "auth.lock",
        actor=user,
        target=f"user:{user.username}",
        until=user.locked_until,
        by=by,
    )
    return True


def count_password_form_failure(session: Session, user_id: int, *, source: str = "") -> None:
    """A wrong current password on the password form, counted like a failed login; the lock
    it may cause also ends every session of the account (whoever mistyped it five times in
    a signed-in browser may be someone who found it unattended). Runs as kept work
    (core.db.keep_work): the refusal rolls the request back, the count must stand."""
    user = session.get(User, user_id)
    if user is None:
        return
    if count_account_failure(session, user, source=source, by="password form"):
        sessions.end_all(session, user, sessions.EndReason.PASSWORD_ATTEMPTS, source=source)


def _record_failure(
    session: Session,
    username: str,
    user: User | None,
    source: str,
    reason: str,
    **detail: Any,
) -> None:
    audit.record(
        session,
        "auth.login",
        actor=user,
        actor_name=None if user is not None else username[:64],
        success=False,
        reason=reason,
        **detail,
    )


def _address_blocked(session: Session, address: str, now: datetime) -> bool:
    if not address:
        return False
    row = session.get(LoginThrottle, address)
    return row is not None and row.blocked_until is not None and row.blocked_until > now


def _count_address_failure(session: Session, address: str, now: datetime) -> None:
    if not address:
        return
    row = _throttle_row(session, address, now)
    if now - row.window_started_at >= ADDRESS_WINDOW:
        row.failures = 0
        row.window_started_at = now
    row.failures += 1
    if row.failures < MAX_ADDRESS_FAILURES:
        return
    row.blocked_until = now + ADDRESS_BLOCK
    audit.record(
        session,
        "auth.address_block",
        target=f"address:{address}",
        failures=row.failures,
        until=row.blocked_until,
    )
    # A fresh window once the block is over: the failures that caused it are paid for.
    row.failures = 0
    row.window_started_at = now


def _throttle_row(session: Session, address: str, now: datetime) -> LoginThrottle:
    """The address's counter, locked for this transaction; made on its first failure."""
    query = (
        select(LoginThrottle)
        .where(LoginThrottle.address == address)
        .with_for_update()
        .execution_options(populate_existing=True)  # the locked values, not ones read before
    )
    row = session.scalar(query)
    if row is not None:
        return row
    try:
        with session.begin_nested():  # another process may make it at the same moment
            row = LoginThrottle(address=address, failures=0, window_started_at=now)
            session.add(row)
        return row
    except IntegrityError:
        found = session.scalar(query)
        if found is None:  # pragma: no cover - the row that collided is there
            raise
        return found
