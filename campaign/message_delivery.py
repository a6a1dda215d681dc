"""Delivering a message from outside a case (`POST /api/v1/messages`, `ykt case message`),
with its audit record. engine.delivery says where a message goes.

Who may deliver: the leading group office (领导小组办公室, which oversees every case) and the
system administrator; on the command line, whoever runs it (the machine's operator), named
with --as. The data must be a plain JSON object (campaign.case_starts.check_plain_data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from campaign import audit, notifications
from campaign.actors import actor_for
from campaign.case_starts import check_plain_data
from campaign.models import User
from campaign.models.accounts import Role
from campaign.org import unit_by_code
from core.errors import AppError, InvalidInput, NotAllowed, NotFound
from engine import delivery
from engine.host import SYSTEM, Actor, CaseContext, EngineHost

NAME_LENGTH = 200
DELIVERING_ROLES = (Role.SUPERVISOR.value, Role.ADMIN.value)


class NobodyWaits(NotFound):
    """No case waits for the message and no process starts with it."""


def may_deliver(user: User) -> bool:
    return any(user.has_role(role) for role in DELIVERING_ROLES)


def deliver(
    session: Session,
    host: EngineHost,
    user: User | None,
    name: str,
    key: Any,
    data: Any,
    *,
    unit_code: str = "",
    by_name: str = audit.CLI_ACTOR,
    source: str = "",
) -> delivery.Delivery:
    """Deliver one message; NobodyWaits when nobody takes it. Every outcome is audited."""
    who = {"actor": user, "actor_name": None if user is not None else by_name}
    try:
        done = _deliver(session, host, user, name, key, data, unit_code, by_name)
    except AppError as refused:
        audit.record_refusal(
            session,
            "message.deliver",
            target=f"message:{str(name)[:100]}",
            source=source,
            key=str(key)[:NAME_LENGTH] if key is not None else None,
            reason=str(refused),
            **who,
        )
        raise
    audit.record(
        session,
        "message.deliver",
        target=f"message:{name}",
        source=source,
        key=key,
        delivered=done.delivered,
        started=done.started,
        **who,
    )
    return done


def _deliver(
    session: Session,
    host: EngineHost,
    user: User | None,
    name: Any,
    key: Any,
    data: Any,
    unit_code: str,
    by_name: str,
) -> delivery.Delivery:
    if user is not None and not may_deliver(user):
        raise NotAllowed("只有领导小组办公室和系统管理员可以从外部发送消息")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_LENGTH:
        raise InvalidInput("请给出消息名称（至多 200 个字符）", {"name": "请给出消息名称"})
    if key is not None and (not isinstance(key, str) or not key.strip() or len(key) > NAME_LENGTH):
        raise InvalidInput(
            "关联键须为 1 至 200 个字符的文本", {"key": "关联键须为 1 至 200 个字符"}
        )
    payload = check_plain_data({} if data is None else data)
    context = CaseContext()
    if unit_code:
        try:
            context = CaseContext(
                owning_unit_id=unit_by_code(session, unit_code.strip().upper()).id
            )
        except NotFound as unknown:
            raise InvalidInput(str(unknown), {"unit": str(unknown)}) from None
    actor: Actor = actor_for(user) if user is not None else Actor(None, by_name or SYSTEM.name)
    done = delivery.deliver(
        session,
        host,
        name.strip(),
        key.strip() if key else None,
        payload,
        actor=actor,
        context=context,
    )
    if done.nobody_waits:
        raise NobodyWaits(done.describe())
    notifications.for_new_work(session, *done.delivered, *done.started)
    return done
