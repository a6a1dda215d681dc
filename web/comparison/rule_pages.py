"""The comparison rules on the 数据比对 page: every rule with its parameters and hit rate, each
rule's versions (who, when, what), and the form that changes one. The leading group office
sees them; only the system administrator changes them, through the service `ykt compare rule`
uses (campaign.comparison.rules): a change is a new version, kept and audited; a refused form
comes back with every input as typed and each field's reason beside it."""

from __future__ import annotations

import json
from collections.abc import Mapping

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from campaign import submissions
from campaign.comparison import disclosure, rules
from campaign.models import ComparisonRule
from core.errors import AppError
from web import db, errors, once
from web.authz import allow
from web.common import me
from web.comparison.routes import bp
from web.roles import ADMIN, SUPERVISOR


@bp.get("/rules")
@allow(SUPERVISOR, ADMIN)
def rules_page() -> str:
    session = db.session()
    rates = {rate.code: rate for rate in disclosure.hit_rates(session)}
    listed = [
        (rule, rates[rule.code], _shown_params(rules.parameters(rule)))
        for rule in rules.all_rules(session)
    ]
    return render_template(
        "comparison/rules.html", listed=listed, kinds=rules.KINDS, may_edit=_may_edit()
    )


@bp.get("/rules/<code>")
@allow(SUPERVISOR, ADMIN)
def rule_page(code: str) -> str:
    return _rule_page(rules.find(db.session(), code))


def _rule_page(
    rule: ComparisonRule, typed: dict[str, str] | None = None, fields: dict[str, str] | None = None
) -> str:
    session = db.session()
    rate = next(r for r in disclosure.hit_rates(session) if r.code == rule.code)
    current = rules.parameters(rule)
    if typed is None:
        typed = {name: str(value) for name, value in current.items()}
        typed.update(name=rule.name, enabled="1" if rule.enabled else "")
    versions = [
        (version, _shown_params(json.loads(version.params or "{}")))
        for version in rules.history(session, rule)
    ]
    return render_template(
        "comparison/rule.html",
        rule=rule,
        kind=rules.KINDS[rule.kind],
        rate=rate,
        params=_shown_params(current),
        specs=[
            (name, rules.PARAM_LABELS.get(name, name), low, high)
            for name, (low, high, _) in rules.KINDS[rule.kind].params.items()
        ],
        typed=typed,
        fields=fields or {},
        versions=versions,
        may_edit=_may_edit(),
    )


@bp.post("/rules/<code>")
@allow(ADMIN)
def change_rule(code: str) -> Response:
    session = db.session()
    rule = rules.find(session, code)
    spec = rules.KINDS[rule.kind].params
    typed = {name: request.form.get(name, "")[:40] for name in spec}
    typed["name"] = request.form.get("name", "")[:200]
    typed["enabled"] = "1" if request.form.get("enabled") == "1" else ""

    def again(error: AppError) -> ResponseReturnValue:
        # The rollback expired the rule: read it again for the page.
        return _rule_page(rules.find(db.session(), code), typed, errors.field_errors(error)), 422

    errors.on_refusal(again)
    submission = once.claim()
    before = rule.version
    changed = rules.change(
        session,
        rule.code,
        params=rules.typed_params({name: typed[name] for name in spec}),
        enabled=typed["enabled"] == "1",
        name=typed["name"],
        actor_name=me().username,
        actor=me(),
    )
    back = url_for("comparison.rule_page", code=changed.code)
    if changed.version == before:
        outcome = f"规则 {changed.code} 没有改动，仍为第 {changed.version} 版"
    else:
        outcome = f"规则 {changed.code} 已修改为第 {changed.version} 版"
    submissions.record(submission, outcome, back)
    flash(outcome, "success")
    return redirect(back)


def _may_edit() -> bool:
    return me().has_role(ADMIN)


def _shown_params(values: Mapping[str, object]) -> str:
    if not values:
        return "—"
    return "，".join(f"{rules.PARAM_LABELS.get(k, k)} {v}" for k, v in values.items())
