"""数据比对 on the API, read only: the 疑点 filtered as on the page (people masked, never a
full number) and the rules with their parameters, versions and hit rates. For the leading
group office and the administrator, as the page; rules are changed on the page or with
`ykt compare rule`."""

from __future__ import annotations

import json
from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import fields

from campaign.comparison import disclosure, rules
from campaign.comparison.protection import KeyFile
from campaign.comparison.run import list_discrepancies
from campaign.comparison.verification import STATUS_LABELS
from campaign.models import ComparisonRule
from web import db
from web.api import schemas as s
from web.api.blueprint import bp
from web.api.contract import Answer, declare
from web.authz import allow
from web.common import data_dir
from web.roles import ADMIN, SUPERVISOR

PER_PAGE = 50


class DiscrepancyQuery(s.Paged):
    rule = s.Code(load_default="", metadata={"description": "规则代码，如 R01"})
    programme = s.Code(load_default="", metadata={"description": "补贴项目代码"})
    period = s.Text(limit=16, load_default="", metadata={"description": "期间 YYYY-MM"})
    township = s.Code(load_default="", metadata={"description": "乡镇代码"})
    status = s.Choice(
        list(STATUS_LABELS),
        load_default="",
        metadata={"description": "open 待核实、verifying 核实中、confirmed 属实、refuted 不属实"},
    )


class DiscrepancyItem(s.Schema):
    id = fields.Integer(required=True)
    rule = fields.String(metadata={"description": "规则代码"})
    rule_name = fields.String()
    rule_version = fields.Integer(metadata={"description": "发现它的规则版本"})
    programme = fields.String(metadata={"description": "补贴项目名称；跨项目时为（多个项目）"})
    period = fields.String()
    township = fields.String()
    village = fields.String()
    person = fields.String(metadata={"description": "人员，已脱敏：张某 42**********1234"})
    rows = fields.Integer(metadata={"description": "涉及的名册行数"})
    amount_fen = fields.Integer(metadata={"description": "金额，单位：分"})
    status = s.Choice(list(STATUS_LABELS))
    status_label = fields.String()
    case_id = fields.Integer(allow_none=True, metadata={"description": "核实案件"})
    problem_id = fields.Integer(allow_none=True, metadata={"description": "属实时：台账问题"})


class RuleVersion(s.Schema):
    version = fields.Integer()
    params = fields.Dict(keys=fields.String(), values=fields.Integer())
    enabled = fields.Boolean()
    changed_at = s.When()
    changed_by = fields.String()


class RuleItem(s.Schema):
    code = fields.String(required=True)
    name = fields.String()
    kind = fields.String(metadata={"description": "规则类别（所运行的比对）"})
    kind_label = fields.String()
    enabled = fields.Boolean()
    version = fields.Integer()
    params = fields.Dict(keys=fields.String(), values=fields.Integer())
    raised = fields.Integer(metadata={"description": "疑点数"})
    confirmed = fields.Integer(metadata={"description": "属实"})
    refuted = fields.Integer(metadata={"description": "不属实"})
    pending = fields.Integer(metadata={"description": "待核实（含核实中）"})
    hit_rate = fields.Float(
        allow_none=True, metadata={"description": "属实 ÷（属实 + 不属实）；未有核实完毕的为 null"}
    )


class RuleDetail(RuleItem):
    versions = fields.List(fields.Nested(RuleVersion), metadata={"description": "新版本在前"})


@bp.get("/comparison/discrepancies")
@allow(SUPERVISOR, ADMIN, api=True)
@declare(
    "数据比对疑点：按规则、项目、期间、乡镇、状态筛选，新的在前，人员已脱敏（默认每页 50 项）",
    {200: Answer("疑点", s.page_of(DiscrepancyItem, "DiscrepancyPage"))},
    query=DiscrepancyQuery,
)
def list_comparison_discrepancies(query: dict[str, Any]) -> ResponseReturnValue:
    found = list_discrepancies(
        db.session(),
        KeyFile.for_data_dir(data_dir()),
        programme_code=query["programme"] or None,
        period=query["period"] or None,
        rule_code=query["rule"] or None,
        township_code=query["township"] or None,
        status=query["status"] or None,
        page=query["page"],
        per_page=query["per_page"] or PER_PAGE,
    )
    return s.page_answer([item.__dict__ for item in found.items], found)


def _rule(rule: ComparisonRule, rate: disclosure.HitRate) -> dict[str, Any]:
    return {
        "code": rule.code,
        "name": rule.name,
        "kind": rule.kind,
        "kind_label": rules.KINDS[rule.kind].label,
        "enabled": rule.enabled,
        "version": rule.version,
        "params": rules.parameters(rule),
        "raised": rate.raised,
        "confirmed": rate.confirmed,
        "refuted": rate.refuted,
        "pending": rate.pending,
        "hit_rate": rate.rate,
    }


@bp.get("/comparison/rules")
@allow(SUPERVISOR, ADMIN, api=True)
@declare("比对规则：参数、版本和命中率", {200: Answer("规则", s.items_of(RuleItem, "RuleList"))})
def list_comparison_rules() -> ResponseReturnValue:
    session = db.session()
    rates = {rate.code: rate for rate in disclosure.hit_rates(session)}
    return {"items": [_rule(rule, rates[rule.code]) for rule in rules.all_rules(session)]}


@bp.get("/comparison/rules/<code>")
@allow(SUPERVISOR, ADMIN, api=True)
@declare("一条比对规则及其每个版本（何人、何时、参数）", {200: Answer("规则", RuleDetail)})
def get_comparison_rule(code: str) -> ResponseReturnValue:
    session = db.session()
    rule = rules.find(session, code[:32])
    rate = next(r for r in disclosure.hit_rates(session) if r.code == rule.code)
    versions = [
        {
            "version": v.version,
            "params": json.loads(v.params or "{}"),
            "enabled": v.enabled,
            "changed_at": v.changed_at.isoformat(),
            "changed_by": v.changed_by,
        }
        for v in rules.history(session, rule)
    ]
    return _rule(rule, rate) | {"versions": versions}
