"""Accounts: creating people, granting roles, passwords, logging in with lockout, disabling.

API tokens live in campaign.tokens and login sessions in campaign.sessions; the token
functions other layers call are reachable from here too (accounts.tokens_of, ...)."""

from __future__ import annotations

import re
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, login, passwords, sessions, tokens
from campaign.login import LOCKOUT as LOCKOUT
from campaign.login import MAX_FAILED_LOGINS as MAX_FAILED_LOGINS
from campaign.login import LoginOutcome as LoginOutcome
from campaign.login import LoginResult as LoginResult
from campaign.login import authenticate as authenticate
from campaign.models import RoleAssignment, Unit, User
from campaign.models.accounts import DUTY_ROLES, Role
from campaign.models.org import UnitKind
from campaign.org import unit_by_code
from campaign.tokens import TOKEN_PREFIX as TOKEN_PREFIX
from campaign.tokens import issue_token as issue_token
from campaign.tokens import revoke_token as revoke_token
from campaign.tokens import tokens_of as tokens_of
from campaign.tokens import user_for_token as user_for_token
from core import clock
from core.db import keep_work
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")

_ROLE_UNIT_KINDS: dict[Role, set[UnitKind]] = {
    Role.OFFICER: set(UnitKind) - {UnitKind.DISTRICT},
    Role.REVIEWER: set(UnitKind) - {UnitKind.DISTRICT},
    Role.SUPERVISOR: {UnitKind.DISTRICT, UnitKind.BUREAU, UnitKind.OFFICE},
    Role.INSPECTOR: {UnitKind.INSPECTION_TEAM},
    Role.DISCIPLINE: {UnitKind.DISCIPLINE},
    Role.ADMIN: {UnitKind.DISTRICT, UnitKind.BUREAU, UnitKind.OFFICE},
    Role.SECURITY: {UnitKind.DISTRICT, UnitKind.BUREAU, UnitKind.OFFICE},
    Role.AUDITOR: {UnitKind.DISTRICT, UnitKind.BUREAU, UnitKind.OFFICE},
}


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


def clean_full_name(full_name: str) -> str:
    """The name as it will be stored: trimmed (full-width spaces too); a blank one refused."""
    cleaned = full_name.strip()
    if not cleaned:
        raise InvalidInput("请填写姓名", {"full_name": "请填写姓名"})
    return cleaned


def check_new_account(
    session: Session, username: str, unit_code: str, role: str
) -> tuple[Unit, Role]:
    """The checks a new account passes before it is made (or requested: campaign.duties)."""
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput("用户名须为 3–64 位字母、数字、点、下划线或连字符")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"用户已存在：{username}")
    unit = unit_by_code(session, unit_code)
    parsed_role = parse_role(role)
    check_role_fits(unit, parsed_role)
    return unit, parsed_role


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    full_name: str | None = None,
    unit_code: str,
    role: str,
    must_change_password: bool = True,
    actor: User | None = None,
    password_hash: str | None = None,
) -> User:
    """A new account with its first role. `password_hash` instead of `password` carries a
    password checked and hashed when the account was requested. Without `full_name` the
    name is the user name (installation, scripts); a name given blank is refused."""
    unit, parsed_role = check_new_account(session, username, unit_code, role)
    name = username if full_name is None else clean_full_name(full_name)
    if password_hash is None:
        passwords.check_policy(password, username)
        password_hash = passwords.hash_password(password)
    user = User(
        username=username,
        full_name=name,
        password_hash=password_hash,
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


def check_role_fits(unit: Unit, role: Role) -> None:
    if UnitKind(unit.kind) not in _ROLE_UNIT_KINDS[role]:
        raise InvalidInput(f"角色“{role.label}”不能设在{unit.kind_label}“{unit.name}”")


def grant_role(
    session: Session, user: User, unit: Unit, role: Role, *, actor: User | None = None
) -> RoleAssignment:
    check_role_fits(unit, role)
    if actor is not None and actor.id == user.id:
        raise NotAllowed("不能为自己授予角色")
    if role in DUTY_ROLES:
        for other in DUTY_ROLES - {role}:
            if user.has_role(other.value):
                raise InvalidInput(f"同一人不能同时担任“{role.label}”和“{other.label}”")
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


def revoke_role(session: Session, assignment: RoleAssignment, *, actor: User | None = None) -> str:
    """Take a role away at once; returns what was revoked, in words."""
    user, unit, role = assignment.user, assignment.unit, Role(assignment.role)
    if actor is not None and actor.id == user.id:
        raise NotAllowed("不能撤销自己的角色")
    session.delete(assignment)
    session.flush()
    session.refresh(user)
    audit.record(
        session,
        "role.revoke",
        actor=actor,
        target=f"user:{user.username}",
        unit=unit.code,
        role=role.value,
    )
    return f"{user.username} 在{unit.name}的“{role.label}”角色"


def check_new_password(user: User, new_password: str) -> None:
    passwords.check_policy(new_password, user.username)
    if passwords.verify_password(user.password_hash, new_password):
        raise InvalidInput("新密码不能与原密码相同")


def set_password(
    session: Session,
    user: User,
    new_password: str,
    *,
    must_change: bool,
    actor: User | None = None,
    password_hash: str | None = None,
) -> None:
    """A new password (checked here, or when it was requested: `password_hash`)."""
    if password_hash is None:
        check_new_password(user, new_password)
        password_hash = passwords.hash_password(new_password)
    user.password_hash = password_hash
    user.must_change_password = must_change
    user.password_changed_at = clock.now()
    user.failed_logins = 0
    user.locked_until = None
    audit.record(
        session,
        "user.password",
        actor=actor or user,
        target=f"user:{user.username}",
        reset_by_admin=must_change,
    )
    # Whoever knew the old password (or held a session opened with it) is out; the person
    # who changed their own password is let in again under a new session by the web.
    sessions.end_all(session, user, sessions.EndReason.PASSWORD, actor=actor or user)


class PasswordAttemptsExhausted(InvalidInput):
    """The current password was mistyped once too often: the account is locked and every
    session of it ended, the page's own included."""


def change_own_password(
    session: Session,
    user: User,
    current: str,
    new_password: str,
    confirm: str,
    *,
    source: str = "",
) -> None:
    """A signed-in person changes their password; a wrong current password counts as a
    failed login (five in a row lock the account and end its sessions)."""
    if user.is_locked(clock.now()):
        audit.record_refusal(
            session,
            "user.password",
            actor=user,
            target=f"user:{user.username}",
            source=source,
            reason="locked",
        )
        raise InvalidInput("因多次输错密码，账户已被暂时锁定，请 15 分钟后再试")
    if not passwords.verify_password(user.password_hash, current):
        audit.record_refusal(
            session,
            "user.password",
            actor=user,
            target=f"user:{user.username}",
            source=source,
            reason="wrong current password",
        )
        # The refusal rolls the request back; the count must stand all the same.
        count = partial(login.count_password_form_failure, user_id=user.id, source=source)
        keep_work(session, count)
        if user.failed_logins + 1 >= login.MAX_FAILED_LOGINS:
            raise PasswordAttemptsExhausted(
                f"原密码连续输错 {login.MAX_FAILED_LOGINS} 次，已退出登录，"
                f"账户锁定 {int(login.LOCKOUT.total_seconds()) // 60} 分钟"
            )
        raise InvalidInput("原密码不正确")
    if new_password != confirm:
        raise InvalidInput("两次输入的新密码不一致")
    set_password(session, user, new_password, must_change=False, actor=user)


def disable_user(session: Session, user: User, *, actor: User | None = None) -> None:
    if actor is not None and actor.id == user.id:
        raise NotAllowed("不能停用自己的账户")
    user.enabled = False
    sessions.end_all(session, user, sessions.EndReason.DISABLED, actor=actor)
    revoked = tokens.revoke_all(session, user)
    audit.record(
        session,
        "user.disable",
        actor=actor,
        target=f"user:{user.username}",
        tokens_revoked=revoked,
    )


def enable_user(session: Session, user: User, *, actor: User | None = None) -> None:
    """A disabled account may sign in again (its sessions and tokens stay ended: it signs in
    anew and is issued new tokens)."""
    if actor is not None and actor.id == user.id:
        raise NotAllowed("不能启用自己的账户")
    if user.enabled:
        raise Conflict(f"{user.username} 未停用")
    user.enabled = True
    audit.record(session, "user.enable", actor=actor, target=f"user:{user.username}")


def unlock_user(session: Session, user: User, *, actor: User | None = None) -> None:
    """End a lock from wrong passwords before its 15 minutes are over."""
    if actor is not None and actor.id == user.id:
        raise NotAllowed("不能解除自己账户的锁定")
    if not user.is_locked(clock.now()):
        raise Conflict(f"{user.username} 未被锁定")
    until = user.locked_until
    user.locked_until = None
    user.failed_logins = 0
    audit.record(session, "user.unlock", actor=actor, target=f"user:{user.username}", until=until)
