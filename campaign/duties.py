"""Separated duties (等保 三员) over accounts and roles.

The system administrator manages diagrams, units and reference data; accounts, roles and
tokens are the security administrator's; the audit administrator reads the log and nothing
else; nobody holds two of these roles (accounts.grant_role). Here the rules for changing
accounts from the pages:

- only a security administrator changes accounts and roles, never their own;
- creating, resetting, granting or enabling again a system, security or audit administrator
  is requested by one security administrator and carried out only when a second one
  approves it;
- roles can be revoked (at once: revoking only takes rights away).

`ykt user …` commands act for whoever runs the server (installation and recovery): they call
accounts directly, and the audit log records them with source "cli"."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, audit, passwords
from campaign.models import RoleAssignment, User
from campaign.models.account_requests import AccountRequest, RequestKind, RequestStatus
from campaign.models.accounts import DUTY_ROLES, Role
from campaign.org import unit_by_code
from core import clock
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound

SECOND_PERSON = "已提交，须由另一名安全管理员复核同意后生效"


def manages_accounts(user: User) -> bool:
    return user.has_role(Role.SECURITY.value)


def _require_manager(actor: User, subject: User | None = None) -> None:
    if not actor.enabled or not manages_accounts(actor):
        raise NotAllowed("只有安全管理员可以管理账户和角色")
    if subject is not None and subject.id == actor.id:
        raise NotAllowed("不能管理自己的账户和角色，请由另一名安全管理员办理")


def require_manager(actor: User, subject: User | None = None) -> None:
    """Refuses unless the actor may change the subject's account (another service's check)."""
    _require_manager(actor, subject)


def _holds_duty(user: User) -> bool:
    return any(r.role in DUTY_ROLES for r in user.roles)


def create_user(
    session: Session,
    actor: User,
    *,
    username: str,
    password: str,
    full_name: str,
    unit_code: str,
    role: str,
) -> User | AccountRequest:
    """A new account, or, for a 三员 role, a request for one."""
    _require_manager(actor)
    unit, parsed = accounts.check_new_account(session, username, unit_code, role)
    full_name = accounts.clean_full_name(full_name)
    passwords.check_policy(password, username)
    if parsed not in DUTY_ROLES:
        return accounts.create_user(
            session,
            username,
            password,
            full_name=full_name,
            unit_code=unit.code,
            role=parsed.value,
            actor=actor,
        )
    return _request(
        session,
        actor,
        RequestKind.CREATE,
        username=username,
        full_name=full_name,
        unit_code=unit.code,
        role=parsed.value,
        password_hash=passwords.hash_password(password),
    )


def grant_role(
    session: Session, actor: User, user: User, unit_code: str, role: str
) -> RoleAssignment | AccountRequest:
    _require_manager(actor, user)
    unit, parsed = unit_by_code(session, unit_code), accounts.parse_role(role)
    accounts.check_role_fits(unit, parsed)
    if parsed not in DUTY_ROLES:
        return accounts.grant_role(session, user, unit, parsed, actor=actor)
    return _request(
        session,
        actor,
        RequestKind.GRANT,
        username=user.username,
        unit_code=unit.code,
        role=parsed.value,
    )


def reset_password(
    session: Session, actor: User, user: User, password: str
) -> AccountRequest | None:
    _require_manager(actor, user)
    accounts.check_new_password(user, password)
    if not _holds_duty(user):
        accounts.set_password(session, user, password, must_change=True, actor=actor)
        return None
    return _request(
        session,
        actor,
        RequestKind.RESET,
        username=user.username,
        password_hash=passwords.hash_password(password),
    )


def revoke_role(session: Session, actor: User, assignment_id: int) -> str:
    """Revoke a role; returns what was revoked, in words."""
    assignment = session.get(RoleAssignment, assignment_id)
    if assignment is None:
        raise NotFound("该角色不存在或已撤销")
    _require_manager(actor, assignment.user)
    return accounts.revoke_role(session, assignment, actor=actor)


def disable(session: Session, actor: User, user: User) -> None:
    _require_manager(actor, user)
    accounts.disable_user(session, user, actor=actor)


def enable(session: Session, actor: User, user: User) -> AccountRequest | None:
    """Enable a disabled account: at once, or for a 三员 account (enabling gives its rights
    back, as granting does) a request a second security administrator approves."""
    _require_manager(actor, user)
    if user.enabled:
        raise Conflict(f"{user.username} 未停用")
    if not _holds_duty(user):
        accounts.enable_user(session, user, actor=actor)
        return None
    return _request(session, actor, RequestKind.ENABLE, username=user.username)


def unlock(session: Session, actor: User, user: User) -> None:
    """End a lock from wrong passwords at once (the password is unchanged, so no second
    person: the lock would end by itself after 15 minutes)."""
    _require_manager(actor, user)
    accounts.unlock_user(session, user, actor=actor)


def _request(session: Session, actor: User, kind: RequestKind, **values: str) -> AccountRequest:
    if values["username"] == actor.username:
        raise NotAllowed("不能为自己申请")
    request = AccountRequest(kind=kind.value, requested_by=actor.id, **values)
    session.add(request)
    session.flush()
    audit.record(
        session,
        "account.request",
        actor=actor,
        target=f"user:{values['username']}",
        kind=kind.value,
        role=values.get("role", ""),
        request=request.id,
    )
    return request


def pending(session: Session) -> list[AccountRequest]:
    return list(
        session.scalars(
            select(AccountRequest)
            .where(AccountRequest.status == RequestStatus.PENDING.value)
            .order_by(AccountRequest.id)
        )
    )


def decided(session: Session, limit: int = 10) -> list[AccountRequest]:
    """The requests decided last, newest first: the requester sees the outcome and the reason
    a refusal gave (pending() lists only those still open)."""
    return list(
        session.scalars(
            select(AccountRequest)
            .where(AccountRequest.status != RequestStatus.PENDING.value)
            .order_by(AccountRequest.decided_at.desc(), AccountRequest.id.desc())
            .limit(limit)
        )
    )


def _pending(session: Session, actor: User, request_id: int) -> AccountRequest:
    _require_manager(actor)
    request = session.get(AccountRequest, request_id)
    if request is None or request.status != RequestStatus.PENDING.value:
        raise Conflict("该申请不存在或已处理")
    if request.requested_by == actor.id:
        raise NotAllowed("申请须由另一名安全管理员复核，不能复核自己的申请")
    if request.username == actor.username:
        raise NotAllowed("不能复核与自己账户有关的申请")
    return request


def approve(session: Session, actor: User, request_id: int) -> AccountRequest:
    """The second security administrator agrees: the change is made now, by the rules it was
    checked against when requested (they are checked again)."""
    request = _pending(session, actor, request_id)
    kind = RequestKind(request.kind)
    if kind is RequestKind.CREATE:
        accounts.create_user(
            session,
            request.username,
            "",
            full_name=request.full_name,
            unit_code=request.unit_code,
            role=request.role,
            actor=request.requester,
            password_hash=request.password_hash,
        )
    else:
        user = accounts.user_by_name(session, request.username)
        if kind is RequestKind.GRANT:
            unit = unit_by_code(session, request.unit_code)
            role = accounts.parse_role(request.role)
            accounts.grant_role(session, user, unit, role, actor=request.requester)
        elif kind is RequestKind.ENABLE:
            accounts.enable_user(session, user, actor=request.requester)
        else:
            accounts.set_password(
                session,
                user,
                "",
                must_change=True,
                actor=request.requester,
                password_hash=request.password_hash,
            )
    _decide(session, actor, request, RequestStatus.APPROVED, "")
    return request


def refuse(session: Session, actor: User, request_id: int, note: str) -> AccountRequest:
    request = _pending(session, actor, request_id)
    note = note.strip()
    if not note:
        raise InvalidInput("请填写不同意的理由", {"note": "请填写理由"})
    _decide(session, actor, request, RequestStatus.REFUSED, note[:200])
    return request


def _decide(
    session: Session, actor: User, request: AccountRequest, status: RequestStatus, note: str
) -> None:
    request.status, request.decided_by, request.decided_at = status.value, actor.id, clock.now()
    request.note = note
    request.password_hash = ""  # carried out or refused: the password is no longer needed
    audit.record(
        session,
        "account.approve" if status is RequestStatus.APPROVED else "account.refuse",
        actor=actor,
        target=f"user:{request.username}",
        request=request.id,
        kind=request.kind,
        requested_by=request.requester.username,
    )
