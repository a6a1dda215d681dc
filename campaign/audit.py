"""Writing the audit record. Every security-relevant and data-changing action calls `record`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import AuditEvent, User
from core import clock, paging
from core.db import keep
from core.paging import Page

SYSTEM_ACTOR = "系统"


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    actor_name: str | None = None,
    target: str = "",
    success: bool = True,
    source: str = "",
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(
        **event_values(
            action,
            actor=actor,
            actor_name=actor_name,
            target=target,
            success=success,
            source=source,
            at=clock.now(),  # when it happened, not when the session happens to flush
            **detail,
        )
    )
    session.add(event)
    return event


def record_refusal(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    actor_name: str | None = None,
    target: str = "",
    source: str = "",
    **detail: Any,
) -> None:
    """A refused attempt: its record is kept although the refusal rolls the work back."""
    values = event_values(
        action,
        actor=actor,
        actor_name=actor_name,
        target=target,
        success=False,
        source=source,
        at=clock.now(),
        **detail,
    )
    keep(session, AuditEvent, values)


def event_values(
    action: str,
    *,
    actor: User | None = None,
    actor_name: str | None = None,
    target: str = "",
    success: bool = True,
    source: str = "",
    at: datetime,
    **detail: Any,
) -> dict[str, Any]:
    """The columns of one audit record (for `record`, and for imports that insert many)."""
    return {
        "at": at,
        "actor_id": actor.id if actor is not None else None,
        "actor_name": actor_name or (actor.username if actor is not None else SYSTEM_ACTOR),
        "action": action,
        "target": target,
        "success": success,
        "source": source,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
        if detail
        else "",
    }


AUDIT_PAGE = 50


def search(
    session: Session, *, action: str = "", actor: str = "", page: int = 1
) -> Page[AuditEvent]:
    """The audit log, newest first, filtered by action (a prefix) and actor name."""
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if actor:
        query = query.where(AuditEvent.actor_name == actor)
    return paging.fetch(session, query.order_by(AuditEvent.id.desc()), page, AUDIT_PAGE)


# What each action is called on the audit page.
ACTION_LABELS = {
    "auth.login": "登录",
    "auth.logout": "退出",
    "auth.lock": "账户锁定",
    "auth.session_end": "结束会话",
    "auth.session_refused": "拒绝已结束的会话",
    "auth.address_block": "暂停地址登录",
    "user.create": "新建用户",
    "user.password": "修改/重置密码",
    "user.disable": "停用用户",
    "role.grant": "授予角色",
    "token.issue": "签发 API 令牌",
    "token.list": "查看 API 令牌",
    "token.revoke": "吊销 API 令牌",
    "token.refused": "拒绝 API 令牌",
    "unit.create": "新建单位",
    "unit.population": "设置总人口数",
    "file.upload": "上传附件",
    "problem.register": "登记问题",
    "problem.reopen": "重新打开问题",
    "task.complete": "办理任务",
    "task.reassign": "转派任务",
    "clue.transfer": "移送线索",
    "key_check.assign": "安排重点检查",
    "definition.deploy": "部署流程定义",
    "case.migrate": "迁移案件版本",
    "ledger.import": "导入问题台账",
    "system.backup": "备份",
    "system.backup_prune": "删除旧备份",
}
