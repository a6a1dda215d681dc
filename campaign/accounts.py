"""Accounts: creating people, granting roles, logging in with lockout, API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, passwords
from campaign.models import ApiToken, RoleAssignment, Unit, User
from campaign.models.accounts import Role
from campaign.models.org import UnitKind
from campaign.org import unit_by_code
from core import clock
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
TOKEN_PREFIX = "ykt_"  # noqa: S105 (a prefix, not a secret)
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")

_ROLE_UNIT_KINDS: dict[Role, set[UnitKind]] = {
    Role.OFFICER: set(UnitKind) - {UnitKind.DISTRICT},
    Role.REVIEWER: set(UnitKind) - {UnitKind.DISTRICT},
    Role.SUPERVISOR: {UnitKind.DISTRICT, UnitKind.BUREAU, UnitKind.OFFICE},
    Role.INSPECTOR: {UnitKind.INSPECTION_TEAM},
    Role.DISCIPLINE: {UnitKind.DISCIPLINE},
    Role.ADMIN: {UnitKind.DISTRICT, UnitKind.BUREAU, UnitKind.OFFICE},
    Role.AUDITOR: {UnitKind.DISTRICT, UnitKind.BUREAU, UnitKind.OFFICE},
}
# 等保 separates the administrator from the one who reads the audit log.
_EXCLUSIVE_ROLES = {Role.ADMIN: Role.AUDITOR, Role.AUDITOR: Role.ADMIN}


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        known = "、".join(r.value for r in Role)
        raise InvalidInput(f"未知角色：{value}（可选：{known}）") from None


def user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"用户不存在：{username}")
    return user


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    full_name: str = "",
    unit_code: str,
    role: str,
    must_change_password: bool = True,
    actor: User | None = None,
) -> User:
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput("用户名须为 3–64 位字母、数字、点、下划线或连字符")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户已存在：{username}")
    unit = unit_by_code(session, unit_code)
    parsed_role = parse_role(role)
    passwords.check_policy(password, username)
    user = User(
        username=username,
        full_name=full_name or username,
        password_hash=passwords.hash_password(password),
        must_change_password=must_change_password,
        password_changed_at=clock.now(),
    )
    session.add(user)
    session.flush()
    grant_role(session, user, unit, parsed_role, actor=actor)
    audit.record(
        session,
        "user.create",
        actor=actor,
        target=f"user:{username}",
        unit=unit.code,
        role=parsed_role.value,
    )
    return user


def grant_role(
    session: Session, user: User, unit: Unit, role: Role, *, actor: User | None = None
) -> RoleAssignment:
    if UnitKind(unit.kind) not in _ROLE_UNIT_KINDS[role]:
        raise InvalidInput(f"角色“{role.label}”不能设在{unit.kind_label}“{unit.name}”")
    exclusive = _EXCLUSIVE_ROLES.get(role)
    if exclusive is not None and user.has_role(exclusive.value):
        raise InvalidInput(f"同一人不能同时担任“{role.label}”和“{exclusive.label}”")
    if user.has_role(role.value, unit.id):
        raise Conflict(f"{user.username} 已在 {unit.name} 担任 {role.label}")
    assignment = RoleAssignment(user=user, unit=unit, role=role.value)
    session.add(assignment)
    session.flush()
    audit.record(
        session,
        "role.grant",
        actor=actor,
        target=f"user:{user.username}",
        unit=unit.code,
        role=role.value,
    )
    return assignment


def set_password(
    session: Session,
    user: User,
    new_password: str,
    *,
    must_change: bool,
    actor: User | None = None,
) -> None:
    passwords.check_policy(new_password, user.username)
    if passwords.verify_password(user.password_hash, new_password):
        raise InvalidInput("新密码不能与原密码相同")
    user.password_hash = passwords.hash_password(new_password)
    user.must_change_password = must_change
    user.password_changed_at = clock.now()
    user.failed_logins = 0
    user.locked_until = None
    user.session_epoch += 1
    audit.record(
        session,
        "user.password",
        actor=actor or user,
        target=f"user:{user.username}",
        reset_by_admin=must_change,
    )


def change_own_password(
    session: Session, user: User, current: str, new_password: str, confirm: str
) -> None:
    if not passwords.verify_password(user.password_hash, current):
        audit.record_refusal(
            session,
            "user.password",
            actor=user,
            target=f"user:{user.username}",
            reason="wrong current password",
        )
        raise InvalidInput("原密码不正确")
    if new_password != confirm:
        raise InvalidInput("两次输入的新密码不一致")
    set_password(session, user, new_password, must_change=False, actor=user)


def disable_user(session: Session, user: User, *, actor: User | None = None) -> None:
    if actor is not None and actor.id == user.id:
        raise NotAllowed("不能停用自己的账户")
    user.enabled = False
    user.session_epoch += 1
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        if token.revoked_at is None:
            token.revoked_at = clock.now()
    audit.record(session, "user.disable", actor=actor, target=f"user:{user.username}")


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    DISABLED = "disabled"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    locked_until: datetime | None = None

    @property
    def message(self) -> str:
        if self.outcome is LoginOutcome.LOCKED and self.locked_until is not None:
            minutes = max(1, int((self.locked_until - clock.now()).total_seconds() + 59) // 60)
            return f"连续登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试"
        if self.outcome is LoginOutcome.DISABLED:
            return "账户已停用，请联系系统管理员"
        if self.outcome is LoginOutcome.BAD_CREDENTIALS:
            return "用户名或密码错误"
        return ""


def authenticate(
    session: Session, username: str, password: str, *, source: str = ""
) -> LoginResult:
    """Check a login; counts failures and locks the account after the fifth in a row."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        passwords.burn_verification_time(password)
        audit.record(
            session,
            "auth.login",
            actor_name=username[:64],
            success=False,
            source=source,
            reason="unknown user",
        )
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    now = clock.now()
    if user.locked_until is not None and user.locked_until > now:
        audit.record(
            session, "auth.login", actor=user, success=False, source=source, reason="locked"
        )
        return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
    if not passwords.verify_password(user.password_hash, password):
        user.failed_logins += 1
        locked = user.failed_logins >= MAX_FAILED_LOGINS
        if locked:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        audit.record(
            session,
            "auth.login",
            actor=user,
            success=False,
            source=source,
            reason="wrong password",
            locked=locked,
        )
        if locked:
            audit.record(
                session,
                "auth.lock",
                actor=user,
                target=f"user:{user.username}",
                source=source,
                until=user.locked_until,
            )
            return LoginResult(LoginOutcome.LOCKED, locked_until=user.locked_until)
        return LoginResult(LoginOutcome.BAD_CREDENTIALS)
    if not user.enabled:
        audit.record(
            session, "auth.login", actor=user, success=False, source=source, reason="disabled"
        )
        return LoginResult(LoginOutcome.DISABLED)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, "auth.login", actor=user, source=source)
    return LoginResult(LoginOutcome.OK, user=user)


def load_session_user(session: Session, session_id: str) -> User | None:
    """The user behind a login session id ("<id>.<epoch>"), if it is still valid."""
    user_id, _, epoch = session_id.partition(".")
    if not user_id.isdigit() or not epoch.isdigit():
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.enabled or user.session_epoch != int(epoch):
        return None
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, *, actor: User | None = None) -> str:
    """A new API bearer token; only its hash is stored, so it is shown exactly once."""
    if not user.enabled:
        raise InvalidInput(f"账户已停用：{user.username}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id, token_hash=_token_digest(token), prefix=token[: len(TOKEN_PREFIX) + 6]
        )
    )
    session.flush()
    audit.record(session, "token.issue", actor=actor, target=f"user:{user.username}")
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The person a bearer token stands for; a token that stands for nobody is recorded as
    refused (by its first characters only: the rest would be a secret in the log)."""
    row = None
    if token.startswith(TOKEN_PREFIX):
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    if row is None or row.revoked_at is not None or not row.user.enabled:
        reason = (
            "unknown token"
            if row is None
            else ("revoked token" if row.revoked_at is not None else "disabled user")
        )
        audit.record_refusal(
            session,
            "auth.token",
            actor=row.user if row is not None else None,
            actor_name=None if row is not None else audit.ANONYMOUS,
            prefix=token[: len(TOKEN_PREFIX) + 6] if token.startswith(TOKEN_PREFIX) else "",
            reason=reason,
        )
        return None
    row.last_used_at = clock.now()
    return row.user
