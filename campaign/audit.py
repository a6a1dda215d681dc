"""Writing the audit record. Every security-relevant and data-changing action calls `record`."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from campaign.models import AuditEvent, User
from core import clock

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
        at=clock.now(),  # when it happened, not when the session happens to flush
        actor_id=actor.id if actor is not None else None,
        actor_name=actor_name or (actor.username if actor is not None else SYSTEM_ACTOR),
        action=action,
        target=target,
        success=success,
        source=source,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
        if detail
        else "",
    )
    session.add(event)
    return event


# What each action is called on the audit page.
ACTION_LABELS = {
    "auth.login": "登录",
    "auth.logout": "退出",
    "auth.lock": "账户锁定",
    "user.create": "新建用户",
    "user.password": "修改/重置密码",
    "user.disable": "停用用户",
    "role.grant": "授予角色",
    "token.issue": "签发 API 令牌",
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
