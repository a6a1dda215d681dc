"""The comparison rules as data: each rule is a kind (the query it runs, campaign.comparison
.queries), parameters the administrator sets, and whether it runs. Every change raises the
rule's version and is kept, so a 疑点 names the rule as it was when it was raised.

`ykt init` adds the rules below when missing and never changes one an administrator edited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit
from campaign.models import ComparisonRule, ComparisonRuleVersion, User
from core.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    # parameter -> (lowest, highest, default): every parameter is a whole number
    params: dict[str, tuple[int, int, int]]
    # the ledger category a confirmed 疑点 of this kind implies (Attachment 2's columns)
    meaning: str


KINDS = {
    kind.code: kind
    for kind in [
        Kind("paid_after_death", "死亡后仍发放", {}, "发放日期晚于死亡日期"),
        Kind("public_payroll", "财政供养人员领取", {}, "项目排除财政供养人员，领取人在其名单中"),
        Kind(
            "one_person_many_cards",
            "一人多卡",
            {"max_cards": (1, 20, 1)},
            "同一期间一个身份证号用了多于 max_cards 张卡或账户",
        ),
        Kind(
            "one_card_many_people",
            "一卡多人",
            {"max_people": (1, 50, 2)},
            "同一期间一张卡或账户为多于 max_people 个身份证号领取",
        ),
        Kind(
            "above_standard",
            "超标准发放",
            {"tolerance_fen": (0, 10**8, 0)},
            "一笔金额超过项目每人标准（按人计的项目）",
        ),
        Kind(
            "age_outside_band", "年龄不符", {}, "发放时年龄（按身份证号的出生日期）不在项目年龄段内"
        ),
        Kind("paid_twice", "同期重复发放", {}, "同一项目同一期间同一人发放多笔"),
        Kind(
            "village_mismatch",
            "户籍村不符",
            {},
            "其他项目名单中登记了此人所在的村，且都不是名册上的村",
        ),
        Kind(
            "villages_across_rolls",
            "同期多村领取",
            {"max_villages": (1, 20, 1)},
            "同一期间同一人在多于 max_villages 个村领取",
        ),
        Kind(
            "household_type_outside",
            "户类型不符",
            {},
            "项目标准限定了户类型，领取人（农户名单上的户主）的户类型不在其中",
        ),
    ]
}

# What each parameter is called on the page and in refusals.
PARAM_LABELS = {
    "max_cards": "每人最多卡（账户）数",
    "max_people": "每卡（账户）最多人数",
    "tolerance_fen": "允许超出标准（分）",
    "max_villages": "每人最多领取村数",
}
MAX_NAME = 100

# (code, kind, name) of the rules `ykt init` adds.
DEFAULT_RULES = [
    ("R01", "paid_after_death", "死亡人员仍在领取"),
    ("R02", "public_payroll", "财政供养人员领取排除其的补贴"),
    ("R03", "one_person_many_cards", "一人多卡"),
    ("R04", "one_card_many_people", "一卡（账户）为多人领取"),
    ("R05", "above_standard", "超标准发放"),
    ("R06", "age_outside_band", "年龄不在项目范围内"),
    ("R07", "paid_twice", "同一期间重复发放"),
    ("R08", "village_mismatch", "领取村与登记村不符"),
    ("R09", "villages_across_rolls", "同一期间在多个村领取"),
    ("R10", "household_type_outside", "户类型不在项目范围内"),
]


def add_missing_rules(session: Session, *, by: str = "ykt init") -> int:
    existing = set(session.scalars(select(ComparisonRule.code)))
    added = 0
    for code, kind, name in DEFAULT_RULES:
        if code in existing:
            continue
        params = json.dumps(defaults(kind), ensure_ascii=False, sort_keys=True)
        rule = ComparisonRule(code=code, kind=kind, name=name, params=params, version=1)
        session.add(rule)
        session.flush()
        session.add(
            ComparisonRuleVersion(
                rule_id=rule.id, version=1, params=params, enabled=True, changed_by=by
            )
        )
        added += 1
    session.flush()
    return added


def defaults(kind: str) -> dict[str, int]:
    return {name: spec[2] for name, spec in KINDS[kind].params.items()}


def parameters(rule: ComparisonRule) -> dict[str, int]:
    """The rule's parameters, the kind's defaults filling any left out."""
    stored: dict[str, Any] = json.loads(rule.params or "{}")
    values = defaults(rule.kind)
    values.update({k: int(v) for k, v in stored.items() if k in values})
    return values


def all_rules(session: Session) -> list[ComparisonRule]:
    return list(session.scalars(select(ComparisonRule).order_by(ComparisonRule.code)))


def find(session: Session, code: str) -> ComparisonRule:
    rule = session.scalar(select(ComparisonRule).where(ComparisonRule.code == code.upper()))
    if rule is None:
        raise NotFound(f"没有代码为 {code} 的比对规则")
    return rule


def history(session: Session, rule: ComparisonRule) -> list[ComparisonRuleVersion]:
    """Every version of the rule, the newest first: who set it, when, with what."""
    return list(
        session.scalars(
            select(ComparisonRuleVersion)
            .where(ComparisonRuleVersion.rule_id == rule.id)
            .order_by(ComparisonRuleVersion.version.desc())
        )
    )


def typed_params(texts: dict[str, str]) -> dict[str, Any]:
    """Parameters as typed on a form: whole numbers as numbers, anything else kept as typed
    so that the check names it."""
    values: dict[str, Any] = {}
    for name, text in texts.items():
        shown = text.strip()
        values[name] = int(shown) if shown.lstrip("-").isdecimal() and len(shown) < 12 else shown
    return values


def change(
    session: Session,
    code: str,
    *,
    params: dict[str, Any] | None = None,
    enabled: bool | None = None,
    name: str | None = None,
    actor_name: str,
    actor: User | None = None,
) -> ComparisonRule:
    """Set a rule's parameters, name or whether it runs: a new version, kept and audited.
    Every field at fault is named at once; a change that changes nothing is no version."""
    rule = find(session, code)
    values = parameters(rule)
    fields: dict[str, str] = {}
    if params is not None:
        try:
            values.update(_checked(rule.kind, params))
        except InvalidInput as refused:
            fields.update(refused.fields)
    new_name = rule.name if name is None else " ".join(name.split())
    if not new_name:
        fields["name"] = "请填写规则名称"
    elif len(new_name) > MAX_NAME:
        fields["name"] = f"规则名称不能超过 {MAX_NAME} 个字"
    if fields:
        reasons = "；".join(fields.values())
        raise InvalidInput(f"规则未修改：{reasons}", fields=fields)
    new_params = json.dumps(values, ensure_ascii=False, sort_keys=True)
    new_enabled = rule.enabled if enabled is None else enabled
    if (new_params, new_enabled, new_name) == (rule.params, rule.enabled, rule.name):
        return rule  # nothing changed: no new version
    rule.params, rule.enabled, rule.name = new_params, new_enabled, new_name
    rule.version += 1
    session.add(
        ComparisonRuleVersion(
            rule_id=rule.id,
            version=rule.version,
            params=new_params,
            enabled=new_enabled,
            changed_by=actor_name,
        )
    )
    audit.record(
        session,
        "comparison.rule_changed",
        actor=actor,
        actor_name=actor_name,
        target=f"rule:{rule.code}",
        version=rule.version,
        params=new_params,
        enabled=new_enabled,
    )
    session.flush()
    return rule


def _checked(kind: str, params: dict[str, Any]) -> dict[str, int]:
    spec = KINDS[kind].params
    fields: dict[str, str] = {}
    clean: dict[str, int] = {}
    for name, value in params.items():
        if name not in spec:
            known = "、".join(spec) or "（此类规则没有参数）"
            fields[name] = f"{name} 不是此类规则的参数；可设：{known}"
            continue
        low, high, _ = spec[name]
        label = PARAM_LABELS.get(name, name)
        if value == "" or value is None:
            fields[name] = f"请填写{label}"
        elif isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            fields[name] = f"{label}须为 {low} 至 {high} 的整数"
        else:
            clean[name] = value
    if fields:
        raise InvalidInput(f"规则参数有误：{'；'.join(fields.values())}", fields=fields)
    return clean
