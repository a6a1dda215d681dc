"""The audit log as the audit administrator reads it: each record's object by its name
(问题 2022-QSZ-0001, 用户 张三（qsz_jbr）) instead of its code (problem:…, case:113), and its
details as 「label：value」 lines instead of JSON. The record itself is unchanged: its code
stays in the page's title attribute, for whoever checks against `ykt audit` output."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit_values, records
from campaign.audit import ACTION_LABELS
from campaign.models import AuditEvent, Campaign, Unit, User
from campaign.models.accounts import ROLE_LABELS
from core.numbers import row_id
from engine.models import Case, ProcessDefinition, WorkItem

# What each kind of object is called; the part after the colon is its key.
TARGET_KINDS = {
    "user": "用户",
    "unit": "单位",
    "problem": "问题",
    "clue": "线索",
    "tip_off": "群众举报",
    "discrepancy": "数据比对疑点",
    "supervision": "督办单",
    "inspection": "明察暗访",
    "accountability": "问责",
    "case": "流程",
    "definition": "流程定义",
    "process": "流程定义",
    "campaign": "专项",
    "address": "地址",
    "message": "消息",
    "report_filing": "报送留档",
    "comparison_run": "数据比对",
}

# What each detail is called; a detail not named here keeps its own name.
DETAIL_LABELS = {
    "attachment": "附件",
    "before": "此前",
    "broken_at": "断链位置",
    "by": "经办",
    "comment": "意见",
    "count": "条数",
    "created": "新建",
    "database": "数据库",
    "delivered": "已送达",
    "due_at": "期限",
    "endpoint": "接口",
    "error": "错误",
    "expires": "有效期至",
    "failures": "失败次数",
    "faults": "问题",
    "file": "文件",
    "files": "文件",
    "filters": "筛选条件",
    "findings": "校验发现",
    "first": "第一条",
    "form": "表单",
    "from_id": "原办理人",
    "item": "任务",
    "key": "标识",
    "kind": "类别",
    "last": "最后一条",
    "last_hash": "最后哈希",
    "locked": "锁定",
    "login_session": "会话",
    "method": "请求方法",
    "page": "页码",
    "prefix": "前缀",
    "problem": "问题",
    "process": "流程",
    "reason": "理由",
    "removed": "删除",
    "request": "申请",
    "requested_by": "申请人",
    "reset_by_admin": "由管理员重置",
    "reviewer": "审核人",
    "revision": "修订",
    "role": "角色",
    "rows": "行数",
    "sessions": "会话数",
    "shown": "显示条数",
    "size": "大小（字节）",
    "source": "来源",
    "started": "开始",
    "status": "状态",
    "table": "表",
    "task": "任务",
    "team": "检查组",
    "to": "改为",
    "to_id": "新办理人",
    "to_version": "目标版本",
    "token": "令牌",
    "tokens": "令牌",
    "tokens_revoked": "吊销的令牌",
    "unit": "单位",
    "until": "直至",
    "value": "值",
    "verified": "已校验",
    "version": "版本",
    "visited_on": "走访日期",
    "action": "操作",
    "actor": "用户",
    "period": "时段",
    "scope": "范围",
    "cases": "发起核实（件）",
    "raised": "新疑点（个）",
    "rule": "比对规则",
    "verdict": "核实结论",
    "programme": "补贴项目",
    "sha256": "SHA-256",
}
_YES_NO = {True: "是", False: "否"}
_ROLE_NAMES = {role.value: label for role, label in ROLE_LABELS.items()}


@dataclass(frozen=True)
class Shown:
    """One record as the page shows it."""

    event: AuditEvent
    target: str
    details: list[tuple[str, str]]


def shown(session: Session, events: Sequence[AuditEvent]) -> list[Shown]:
    names = target_names(session, [e.target for e in events])
    units = dict(session.execute(select(Unit.code, Unit.name)).tuples().all())
    steps = _step_titles(session, events)
    return [
        Shown(
            e,
            names.get(e.target, e.target),
            details(e.detail, units, steps.get(e.target.removeprefix("case:")), e.action),
        )
        for e in events
    ]


def _step_titles(session: Session, events: Sequence[AuditEvent]) -> dict[str, dict[str, str]]:
    """The titles of the steps of the cases the events name (`case:113`), by step id: a
    record of a task names its step by id (`rectify`), the page by its title (整改)."""
    ids = set()
    for e in events:
        key = e.target.removeprefix("case:")
        if key != e.target and key.isdecimal() and '"task"' in e.detail:
            ids.add(int(key))
    if not ids:
        return {}
    found: dict[str, dict[str, str]] = {}
    rows = session.execute(
        select(WorkItem.case_id, WorkItem.bpmn_id, WorkItem.title)
        .where(WorkItem.case_id.in_(ids))
        .distinct()
    ).tuples()
    for case_id, bpmn_id, title in rows:
        found.setdefault(str(case_id), {})[bpmn_id] = title
    return found


def target_names(session: Session, targets: Iterable[str]) -> dict[str, str]:
    """The name of each object, looked up once per kind."""
    keys: dict[str, set[str]] = {}
    for target in targets:
        kind, _, key = target.partition(":")
        if key and kind in TARGET_KINDS:
            keys.setdefault(kind, set()).add(key)
    names: dict[str, str] = {}
    lookups = {
        "user": _users,
        "unit": _units,
        "case": _cases,
        "definition": _definitions,
        "process": _definitions,
        "campaign": _campaigns,
    }
    for kind, found in keys.items():
        named = lookups[kind](session, found) if kind in lookups else {}
        for key in found:
            names[f"{kind}:{key}"] = named.get(key) or f"{TARGET_KINDS[kind]} {key}"
    return names


def details(
    detail: str,
    units: Mapping[str, str] | None = None,
    steps: Mapping[str, str] | None = None,
    action: str = "",
) -> list[tuple[str, str]]:
    """The details as label and value; text that is not a JSON object is shown as it is.
    Roles, units, the steps of the record's case, forms, a failed login's reason and a
    refusal's kind are named (经办人, 青山镇, 整改, 密码错误, 填写有误) rather than coded."""
    if not detail:
        return []
    try:
        data = json.loads(detail)
    except ValueError:
        return [("详情", detail)]
    if not isinstance(data, dict):
        return [("详情", detail)]
    names: dict[str, Mapping[str, str]] = {
        "role": _ROLE_NAMES,
        "unit": units or {},
        "task": steps or {},
        "reason": audit_values.AUTH_REASONS if action.startswith("auth.") else {},
    }
    shown: list[tuple[str, str]] = []
    for key, value in data.items():
        shown.append((DETAIL_LABELS.get(key) or str(key), _shown_value(key, value, names)))
    return shown


def _shown_value(key: str, value: Any, names: Mapping[str, Mapping[str, str]]) -> str:
    named = _named(key, value, names) if isinstance(value, str) else None
    return named or _value(value, names)


def _named(key: str, value: str, names: Mapping[str, Mapping[str, str]]) -> str | None:
    if key == "error":
        return audit_values.error_kind(value)
    if key == "form":
        return audit_values.form_title(value)
    if key == "action":  # the action a reading of the log was filtered by
        return ACTION_LABELS.get(value)
    return names.get(key, {}).get(value)


def _value(value: Any, names: Mapping[str, Mapping[str, str]]) -> str:
    if isinstance(value, bool):
        return _YES_NO[value]
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, list):
        return "、".join(_value(v, names) for v in value)
    if isinstance(value, dict):
        return "；".join(
            f"{DETAIL_LABELS.get(k, k)}：{_shown_value(k, v, names)}" for k, v in value.items()
        )
    return str(value)


def _users(session: Session, keys: set[str]) -> dict[str, str]:
    rows = session.execute(
        select(User.username, User.full_name).where(User.username.in_(keys))
    ).tuples()
    return {u: f"用户 {name}（{u}）" if name else f"用户 {u}" for u, name in rows}


def _units(session: Session, keys: set[str]) -> dict[str, str]:
    rows = session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(keys))).tuples()
    return {code: f"单位 {name}" for code, name in rows}


def _campaigns(session: Session, keys: set[str]) -> dict[str, str]:
    rows = session.execute(
        select(Campaign.code, Campaign.name).where(Campaign.code.in_(keys))
    ).tuples()
    return {code: f"专项 {name}" for code, name in rows}


def _definitions(session: Session, keys: set[str]) -> dict[str, str]:
    rows = session.execute(
        select(ProcessDefinition.key, ProcessDefinition.name)
        .where(ProcessDefinition.key.in_(keys))
        .order_by(ProcessDefinition.version)
    ).tuples()
    return {key: f"流程定义 {name}" for key, name in rows}


def _cases(session: Session, keys: set[str]) -> dict[str, str]:
    ids = {case_id for k in keys if (case_id := row_id(k)) is not None}
    found = list(session.scalars(select(Case).where(Case.id.in_(ids))))
    subjects = records.records_of(session, found)
    names = {}
    for case in found:
        kind, record = records.kind_of(case), subjects.get(case.id)
        about = kind.describe(record, case)[0] if kind and record is not None else ""
        names[str(case.id)] = f"{case.definition.name}：{about}" if about else case.definition.name
    return names
