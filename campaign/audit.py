"""Writing the audit record. Every security-relevant and data-changing action calls `record`,
every refused one `record_refusal`; both fill in where the request came from (`Client`).

The records form a hash chain (campaign.audit_chain): importing this module installs the
hook that links every record added to a session, and `chained` links a bulk insert's rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from campaign.audit_chain import chained
from campaign.models import AuditEvent, User
from core import clock
from core.db import keep

__all__ = ["chained"]

SYSTEM_ACTOR = "系统"
ANONYMOUS = "（未登录）"
CLI_ACTOR = "命令行"
IP_LENGTH, USER_AGENT_LENGTH = 64, 256


@dataclass(frozen=True)
class Client:
    """Where the work of this thread comes from: the web sets the address and browser of
    the request, the command line sets source "cli". Records that name no source of their
    own take this one."""

    ip: str = ""
    user_agent: str = ""
    source: str = ""


NO_CLIENT = Client()  # work of no request or command: the scheduler, a test
_client: ContextVar[Client] = ContextVar("ykt_audit_client", default=NO_CLIENT)


def enter_client(client: Client) -> Token[Client]:
    """Set the client until `leave_client` (the web's before_request and teardown)."""
    return _client.set(
        Client(client.ip[:IP_LENGTH], client.user_agent[:USER_AGENT_LENGTH], client.source)
    )


def leave_client(token: Token[Client]) -> None:
    _client.reset(token)


@contextmanager
def client_context(client: Client) -> Iterator[None]:
    token = enter_client(client)
    try:
        yield
    finally:
        leave_client(token)


def current_client() -> Client:
    return _client.get()


def record(session: Session, action: str, **values: Any) -> AuditEvent:
    """Record an action (the keywords are event_values'), stamped now: when it happened,
    not when the session happens to flush."""
    event = AuditEvent(**event_values(action, at=clock.now(), **values))
    session.add(event)
    return event


def record_refusal(session: Session, action: str, **values: Any) -> None:
    """A refused attempt: its record is kept although the refusal rolls the work back."""
    keep(session, AuditEvent, event_values(action, success=False, at=clock.now(), **values))


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
    """The columns of one audit record (for `record`, and for imports that insert many, which
    link them with `chained` before inserting)."""
    client = _client.get()
    name = actor_name or (actor.username if actor is not None else SYSTEM_ACTOR)
    return {
        "at": at,
        "actor_id": actor.id if actor is not None else None,
        "actor_name": _storable(name)[:64],
        "action": action,
        "target": _storable(target)[:200],
        "success": success,
        "source": source or client.source,
        "ip": _storable(client.ip),
        "user_agent": _storable(client.user_agent),
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
        if detail
        else "",
    }


def _storable(text: str) -> str:
    """The text with any NUL shown as ␀: no PostgreSQL text column holds a NUL, and a
    request that carried one (in its address or its browser's name) is still recorded."""
    return text.replace("\x00", "\u2400")


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
    "user.enable": "启用用户",
    "user.unlock": "解除账户锁定",
    "role.grant": "授予角色",
    "role.revoke": "撤销角色",
    "account.request": "申请账户变更（待复核）",
    "account.approve": "同意账户变更申请",
    "account.refuse": "不同意账户变更申请",
    "token.issue": "签发 API 令牌",
    "token.list": "查看 API 令牌",
    "token.revoke": "吊销 API 令牌",
    "token.refused": "拒绝 API 令牌",
    "unit.create": "新建单位",
    "unit.population": "设置总人口数",
    "unit.rename": "更改乡镇或村名称",
    "unit.deactivate": "停用乡镇或村",
    "unit.activate": "启用乡镇或村",
    "programme.create": "新增补贴项目",
    "programme.update": "修改补贴项目",
    "programme.deactivate": "停用补贴项目",
    "programme.activate": "启用补贴项目",
    "household.create": "新增农户",
    "household.update": "修改农户信息",
    "household.deactivate": "农户移出名单",
    "household.activate": "农户恢复到名单",
    "household.reveal": "查看农户完整身份证号和卡号",
    "reference.import": "从 Excel 导入基础数据",
    "campaign.update": "修改活动设置",
    "campaign.phase": "修改活动阶段",
    "campaign.deadline": "修改报送时限",
    "campaign.create": "按上一活动新建专项治理活动",
    "campaign.start": "开始专项治理活动",
    "file.upload": "上传附件",
    "file.download": "下载附件",
    "problem.register": "登记问题",
    "problem.reopen": "重新打开问题",
    "task.complete": "办理任务",
    "task.reassign": "转派任务",
    "task.urge": "催办",
    "user.contact": "修改联系方式",
    "clue.transfer": "移送线索",
    "tip_off.submit": "收到群众举报",
    "tip_off.reveal_phone": "查看举报人联系方式",
    "supervision.issue": "下发督办单",
    "inspection.record": "登记明察暗访",
    "accountability.propose": "提出问责建议",
    "evaluation.request": "安排回访",
    "key_check.assign": "安排重点检查",
    "spot_check.result": "登记抽查户核查结果",
    "spot_check.result_corrected": "更正抽查户核查结果",
    "village_visit.record": "登记自查走访",
    "definition.deploy": "部署流程定义",
    "decision.deploy": "部署决策表",
    "case.migrate": "迁移案件版本",
    "case.start": "发起流程",
    "message.deliver": "发送消息",
    "ledger.import": "导入问题台账",
    "demo.province": "建立示例省",
    "demo.province_accounts": "建立示例省乡镇账户",
    "comparison.roll_imported": "导入发放名册",
    "comparison.reference_imported": "导入比对参照名单",
    "comparison.run": "运行数据比对",
    "comparison.rule_changed": "修改比对规则",
    "comparison.keys_rotated": "更换比对密钥",
    "comparison.cases_started": "发起疑点核实",
    "comparison.verified": "核实数据比对疑点",
    "comparison.reveal": "查看疑点完整证件号码",
    "comparison.run_queued": "提交数据比对",
    "system.backup": "备份",
    "system.backup_prune": "删除旧备份",
    "audit.verify": "校验审计记录链",
    "audit.archive": "归档审计记录",
    "auth.token": "使用 API 令牌",
    "access.denied": "拒绝访问",
    "request.failed": "操作未成功",
    "task.claim": "认领任务",
    "task.unclaim": "退回认领",
    "case.comment": "发表意见",
    "data.export": "下载/导出数据",
    "report.file": "报送统计表",
    "report.filing_download": "下载报送留档",
    "audit.read": "查阅审计日志",
    "audit.export": "导出审计日志",
}
