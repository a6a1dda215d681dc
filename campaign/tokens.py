"""API bearer tokens: issued for a number of days, listed and revoked by their owner or a
security administrator, refused (and recorded) when expired, revoked, or while their user
may not log in (locked, disabled, or a password change pending)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from campaign import audit
from campaign.models import ApiToken, User
from campaign.models.accounts import Role
from core import clock
from core.config import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS
from core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound

TOKEN_PREFIX = "ykt_"  # noqa: S105 (a prefix, not a secret)
# last_used_at is written when it is at least this old: not a write per API call.
TOUCH_INTERVAL = timedelta(minutes=1)

# What a refused token is told; a token nobody issued gets the answer of a missing one.
UNKNOWN = "需要有效的访问令牌（Authorization: Bearer …）"
_REFUSALS = {
    "expired": "访问令牌已过期，请重新申请",
    "revoked": "访问令牌已吊销",
    "disabled": "账户已停用，访问令牌不可用",
    "locked": "账户已被暂时锁定，访问令牌暂不可用",
    "must change password": "账户须先修改密码，访问令牌暂不可用",
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    session: Session, user: User, *, days: int = DEFAULT_TOKEN_DAYS, actor: User | None = None
) -> str:
    """A new API bearer token valid for `days`; only its hash is stored, so it is shown
    exactly once."""
    if not user.enabled:
        raise InvalidInput(f"账户已停用：{user.username}")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"令牌有效期须为 1 至 {MAX_TOKEN_DAYS} 天")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    row = ApiToken(
        user_id=user.id,
        token_hash=_digest(token),
        prefix=token[: len(TOKEN_PREFIX) + 6],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "token.issue",
        actor=actor,
        target=f"user:{user.username}",
        token=row.id,
        prefix=row.prefix,
        expires=row.expires_at,
    )
    return token


def may_manage(actor: User | None, owner_id: int) -> bool:
    """The owner or a security administrator; None is the console (`ykt user ...`), whose
    operator already holds the server."""
    return actor is None or actor.id == owner_id or actor.has_role(Role.SECURITY.value)


def tokens_of(session: Session, user: User, *, actor: User | None = None) -> list[ApiToken]:
    """Every token of a user, newest first, revoked and expired ones included; the listing
    is recorded. Give `actor` for a person asking from a page or the API."""
    if not may_manage(actor, user.id):
        raise NotFound(f"用户不存在：{user.username}")
    rows = list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )
    audit.record(
        session, "token.list", actor=actor, target=f"user:{user.username}", tokens=len(rows)
    )
    return rows


def revoke_token(session: Session, token_id: int, actor: User | None) -> ApiToken:
    """Revoke a token: its owner or a security administrator may; to anyone else it does not
    exist."""
    row = session.get(ApiToken, token_id)
    if row is None or not may_manage(actor, row.user_id):
        raise NotFound(f"令牌不存在：{token_id}")
    if row.revoked_at is not None:
        raise Conflict(f"令牌 {row.prefix}… 已于此前吊销")
    row.revoked_at = clock.now()
    audit.record(
        session,
        "token.revoke",
        actor=actor,
        target=f"user:{row.user.username}",
        token=row.id,
        prefix=row.prefix,
    )
    return row


def revoke_all(session: Session, user: User) -> int:
    """Revoke every live token of a user (the account is disabled); returns how many."""
    now = clock.now()
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
    return len(rows)


# The token, its person and the person's roles in one statement, built once: every API
# request asks, and building it cost more than running it.
_BY_HASH = (
    select(ApiToken)
    .where(ApiToken.token_hash == bindparam("token_hash"))
    .options(joinedload(ApiToken.user).joinedload(User.roles))
)


def user_for_token(session: Session, token: str, *, source: str = "") -> User:
    """The user a bearer token acts for. Anything else is refused with NotAuthenticated (the
    API's 401), and the refusal is kept in the audit log although the request rolls back."""
    row = None
    if token.startswith(TOKEN_PREFIX):
        row = session.scalars(_BY_HASH, {"token_hash": _digest(token)}).unique().first()
    if row is None:
        audit.record_refusal(
            session,
            "token.refused",
            actor_name="未知",
            reason="unknown",
            prefix=token[: len(TOKEN_PREFIX) + 6],
        )
        raise NotAuthenticated(UNKNOWN)
    now = clock.now()
    reason = _refusal(row, now)
    if reason:
        audit.record_refusal(
            session,
            "token.refused",
            actor=row.user,
            target=f"user:{row.user.username}",
            reason=reason,
            token=row.id,
            prefix=row.prefix,
        )
        raise NotAuthenticated(_REFUSALS[reason])
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_INTERVAL:
        row.last_used_at = now
    return row.user


def _refusal(row: ApiToken, now: datetime) -> str:
    """Why a stored token may not act now; '' when it may."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at <= now:
        return "expired"
    user = row.user
    if not user.enabled:
        return "disabled"
    if user.is_locked(now):
        return "locked"
    if user.must_change_password:
        return "must change password"
    return ""
