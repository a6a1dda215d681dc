"""Deployments of several files: business rule tasks deciding with DMN decision tables, and
call activities to other deployed processes, in tests/engine/conformance/bundles/.

The version policy under test: a process version fixes, when it is deployed, the versions of
the processes it calls and of the decisions it uses (engine.bundles)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import bundles, cases, decisions, definitions, migration, spiff
from engine.bundles import Bundle
from engine.errors import CaseFailed, DeploymentRefused
from engine.host import CaseContext
from engine.models import Case, DecisionDefinition, ProcessDefinition, WorkItem
from tests.engine.conformance.test_conformance import UNIT, WORKER
from tests.engine.host import FakeHost
from tests.engine.test_sandbox_escapes import EXPRESSIONS

BUNDLES = Path(__file__).parent / "bundles"
PWNED = "/tmp/ykt-dmn-pwned"  # noqa: S108 (what a hostile cell would create)


def _files(*names: str) -> list[tuple[str, bytes]]:
    return [(name, (BUNDLES / name).read_bytes()) for name in names]


def _deploy(session: Session, host: FakeHost, *names: str) -> list[definitions.Deployed]:
    return definitions.deploy_files(session, _files(*names), host, deployed_by="conformance")


def _refused(session: Session, host: FakeHost, *names: str) -> list[tuple[str, str]]:
    with pytest.raises(DeploymentRefused) as refused:
        _deploy(session, host, *names)
    return [(f.element_id, f.message) for f in refused.value.findings]


def _start(session: Session, host: FakeHost, key: str, data: dict[str, Any]) -> Case:
    return cases.start_case(
        session,
        host,
        key,
        data=data,
        context=CaseContext(owning_unit_id=UNIT),
        actor=WORKER,
    )


def _open(session: Session, case: Case) -> list[WorkItem]:
    return list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.case_id == case.id, WorkItem.state == "open")
            .order_by(WorkItem.id)
        )
    )


def _do(session: Session, host: FakeHost, case: Case, bpmn_id: str) -> None:
    (item,) = [i for i in _open(session, case) if i.bpmn_id == bpmn_id]
    cases.complete_task(session, host, item.id, {}, WORKER)
    session.refresh(case)


def _decided(session: Session, case: Case) -> dict[str, Any]:
    """The case data as the business rule task left it."""
    every_state = -1
    tasks = spiff.tasks_in(cases.load(session, case), every_state)
    (task,) = [t for t in tasks if t.task_spec.bpmn_id == "decide"]
    return dict(task.data)


# decision tables


@pytest.mark.parametrize(
    ("amount", "task", "grade"),
    [(10, "small_task", "small"), (1000, "mid_task", "mid"), (90_000, "big_task", "big")],
)
def test_a_unique_decision_table_decides_the_gateway(
    db_session: Session, host: FakeHost, amount: int, task: str, grade: str
) -> None:
    deployed = _deploy(db_session, host, "rule_unique.bpmn", "grade_unique.dmn")
    assert [(d.kind, d.key, d.version) for d in deployed] == [
        ("decision", "grade_unique", 1),
        ("process", "b_rule_unique", 1),
    ]
    case = _start(db_session, host, "b_rule_unique", {"amount": amount})
    assert [i.bpmn_id for i in _open(db_session, case)] == [task]
    assert _decided(db_session, case)["grade"] == grade
    _do(db_session, host, case, task)
    assert case.status == "completed"


def test_two_rules_matching_a_unique_table_put_the_case_in_error_naming_the_rows(
    db_session: Session, host: FakeHost
) -> None:
    _deploy(db_session, host, "overlap_unique.dmn")
    _deploy(db_session, host, "rule_unique.bpmn")  # the decision is already deployed
    with pytest.raises(CaseFailed, match="UNIQUE，但第 1、2 行同时命中"):
        _start(db_session, host, "b_rule_unique", {"amount": 50})


@pytest.mark.parametrize(
    ("data", "task"),
    [({"amount": 50, "kind": "loan"}, "fast_task"), ({"amount": 50, "kind": "x"}, "full_task")],
)
def test_a_first_table_takes_the_first_matching_rule(
    db_session: Session, host: FakeHost, data: dict[str, Any], task: str
) -> None:
    _deploy(db_session, host, "route_first.dmn", "rule_first.bpmn")
    case = _start(db_session, host, "b_rule_first", data)
    assert [i.bpmn_id for i in _open(db_session, case)] == [task]


@pytest.mark.parametrize(
    ("data", "checks", "task"),
    [
        ({"amount": 5000, "kind": "loan"}, ["desk", "site", "credit"], "site_task"),
        ({"amount": 10, "kind": "grant"}, ["desk"], "desk_task"),
    ],
)
def test_a_collect_table_gives_every_match_in_rule_order(
    db_session: Session, host: FakeHost, data: dict[str, Any], checks: list[str], task: str
) -> None:
    _deploy(db_session, host, "checks_collect.dmn", "rule_collect.bpmn")
    case = _start(db_session, host, "b_rule_collect", data)
    assert [i.bpmn_id for i in _open(db_session, case)] == [task]
    assert _decided(db_session, case)["checks"] == checks


def test_a_hostile_decision_table_is_refused_cell_by_cell_and_nothing_is_stored(
    db_session: Session, host: FakeHost
) -> None:
    findings = _refused(db_session, host, "hostile_cells.dmn", "rule_hostile.bpmn")
    where = {eid: message for eid, message in findings}
    assert "不允许以下划线开头的名称：__import__" in where["r0_hostile_cells_in0"]
    assert "__subclasses__" in where["r1_hostile_cells_in0"]
    assert "不允许使用 open" in where["r2_hostile_cells_out"]
    assert all(m.startswith("〔hostile_cells.dmn〕") for _, m in findings)
    assert db_session.scalar(select(DecisionDefinition.id)) is None
    assert definitions.latest_version(db_session, "b_rule_hostile") is None
    assert not os.path.exists(PWNED)


@pytest.mark.parametrize("source", [source for _, source in EXPRESSIONS])
def test_every_known_escape_is_refused_in_a_cell_and_in_an_output(source: str) -> None:
    text = (BUNDLES / "grade_unique.dmn").read_text()
    escaped = source.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    as_cell = text.replace("&lt; 1000", escaped, 1)
    as_output = text.replace('"small"', escaped, 1)
    for dmn, element in ((as_cell, "r_small_in"), (as_output, "r_small_out")):
        findings, checked = decisions.check(dmn)
        assert checked is None
        assert [f.element_id for f in findings] == [element], findings


def test_a_cell_that_slipped_past_deploy_fails_the_case_safely_at_run_time(
    db_session: Session, host: FakeHost
) -> None:
    _deploy(db_session, host, "rule_unique.bpmn", "grade_unique.dmn")
    # Stored directly, as if an older release had let it through: the sandbox holds at run.
    definition = definitions.require_latest(db_session, "b_rule_unique")
    bundle = Bundle.load(definition.bundle)
    hostile = "__import__('os').system('touch ' + PWNED)"
    bundle.decisions["grade_unique"]["dmn"] = bundle.decisions["grade_unique"]["dmn"].replace(
        "&lt; 1000", hostile.replace("'", "&apos;")
    )
    db_session.execute(
        update(ProcessDefinition)
        .where(ProcessDefinition.id == definition.id)
        .values(bundle=bundle.dump(), sha256="1" * 64)
    )
    db_session.expire_all()
    with pytest.raises(CaseFailed, match="下划线"):
        _start(db_session, host, "b_rule_unique", {"amount": 5})
    assert not os.path.exists(PWNED)


@pytest.mark.parametrize(
    ("name", "element", "reason"),
    [
        ("any_policy.dmn", "any_policy", "命中策略 ANY 不受支持"),
        ("feel_range.dmn", "r0_feel_range_in0", "FEEL 区间 [1..10] 不受支持"),
        ("feel_range.dmn", "r1_feel_range_in0", '? in ("a","b")'),
        ("rule_unique.bpmn", "decide", "引用的决策“grade_unique”未部署，也不在本次部署的文件中"),
    ],
)
def test_what_the_engine_cannot_decide_is_refused_by_name(
    db_session: Session, host: FakeHost, name: str, element: str, reason: str
) -> None:
    findings = _refused(db_session, host, name)
    assert any(eid == element and reason in message for eid, message in findings), findings


# call activities


def test_a_call_activity_runs_another_deployed_process_in_the_calling_lane(
    db_session: Session, host: FakeHost
) -> None:
    # the caller first: the deployment places the called process before it
    deployed = _deploy(db_session, host, "caller.bpmn", "part_review.bpmn")
    assert [d.key for d in deployed] == ["part_review", "b_caller"]
    case = _start(db_session, host, "b_caller", {})
    _do(db_session, host, case, "first")
    (item,) = _open(db_session, case)
    assert (item.bpmn_id, item.lane, item.role) == ("check_part", "审核人", "reviewer")
    _do(db_session, host, case, "check_part")
    assert case.status == "completed"


def test_a_called_process_with_lanes_keeps_its_own(db_session: Session, host: FakeHost) -> None:
    _deploy(db_session, host, "part_with_lane.bpmn")
    _deploy(db_session, host, "caller_of_laned.bpmn")
    case = _start(db_session, host, "b_caller_of_laned", {})
    (item,) = _open(db_session, case)
    assert (item.bpmn_id, item.lane) == ("own_task", "领导小组办公室")


def test_a_call_to_an_undeployed_key_is_refused_by_name(
    db_session: Session, host: FakeHost
) -> None:
    findings = _refused(db_session, host, "caller_missing.bpmn")
    assert ("call", "调用活动调用的流程“never_deployed”未部署，也不在本次部署的文件中") in findings


def test_a_process_without_lanes_deployed_alone_is_still_refused(
    db_session: Session, host: FakeHost
) -> None:
    findings = _refused(db_session, host, "part_review.bpmn")
    assert ("check_part", "用户任务须放在某个泳道中，以确定由谁办理") in findings


def test_a_case_waiting_in_a_called_process_runs_on_after_it_is_redeployed(
    db_session: Session, host: FakeHost
) -> None:
    _deploy(db_session, host, "caller.bpmn", "part_review.bpmn")
    waiting = _start(db_session, host, "b_caller", {})
    _do(db_session, host, waiting, "first")
    assert [i.bpmn_id for i in _open(db_session, waiting)] == ["check_part"]

    (part,) = _deploy(db_session, host, "part_review_v2.bpmn", "caller.bpmn")[:1]
    assert (part.key, part.version) == ("part_review", 2)
    caller = definitions.require_latest(db_session, "b_caller")
    assert caller.version == 2  # the same diagram, now calling version 2: a new version
    assert bundles.summary(caller.bundle) == ["流程 part_review 第2版"]

    definitions._SPECS.clear()  # as after a restart: every spec is parsed again from the rows
    _do(db_session, host, waiting, "check_part")  # its own version calls version 1: one step
    assert waiting.status == "completed"

    fresh = _start(db_session, host, "b_caller", {})
    _do(db_session, host, fresh, "first")
    _do(db_session, host, fresh, "check_part")
    assert [i.bpmn_id for i in _open(db_session, fresh)] == ["sign_part"]


def test_deploying_an_unchanged_bundle_again_makes_no_new_version(
    db_session: Session, host: FakeHost
) -> None:
    _deploy(db_session, host, "caller.bpmn", "part_review.bpmn", "grade_unique.dmn")
    again = _deploy(db_session, host, "caller.bpmn", "part_review.bpmn", "grade_unique.dmn")
    assert [(d.key, d.version, d.created) for d in again] == [
        ("grade_unique", 1, False),
        ("part_review", 1, False),
        ("b_caller", 1, False),
    ]


def test_a_refused_file_refuses_the_whole_deployment(db_session: Session, host: FakeHost) -> None:
    findings = _refused(db_session, host, "grade_unique.dmn", "caller_missing.bpmn")
    assert all(m.startswith("〔caller_missing.bpmn〕") for _, m in findings)
    assert db_session.scalar(select(DecisionDefinition.id)) is None


@pytest.mark.parametrize(
    ("old", "new", "element", "reason"),
    [
        (
            'calledElement="part_review"',
            'calledElement="part_review" camunda:calledElementBinding="version"',
            "call",
            "调用绑定方式 version 不受支持",
        ),
        ('calledElement="part_review"', 'calledElement="b_caller"', "call", "不能调用本流程自身"),
    ],
)
def test_calls_the_engine_cannot_pin_are_refused_by_name(
    db_session: Session, host: FakeHost, old: str, new: str, element: str, reason: str
) -> None:
    caller = (BUNDLES / "caller.bpmn").read_text().replace(old, new)
    files: list[tuple[str, bytes | str]] = [("caller.bpmn", caller), *_files("part_review.bpmn")]
    with pytest.raises(DeploymentRefused) as refused:
        definitions.deploy_files(db_session, files, host, deployed_by="conformance")
    found = [(f.element_id, f.message) for f in refused.value.findings]
    assert any(eid == element and reason in message for eid, message in found), found
    assert not any("主流程" in message for _, message in found)


def test_a_business_rule_task_bound_another_way_is_refused_by_name(
    db_session: Session, host: FakeHost
) -> None:
    diagram = (BUNDLES / "rule_unique.bpmn").read_text()
    bound = diagram.replace(
        'camunda:decisionRef="grade_unique"',
        'camunda:decisionRef="grade_unique" camunda:resultVariable="r"',
    )
    files: list[tuple[str, bytes | str]] = [("rule.bpmn", bound), *_files("grade_unique.dmn")]
    with pytest.raises(DeploymentRefused) as refused:
        definitions.deploy_files(db_session, files, host, deployed_by="conformance")
    messages = [f.message for f in refused.value.findings if f.element_id == "decide"]
    assert any("camunda:resultVariable 不受支持" in m for m in messages), messages


def test_a_case_inside_a_called_process_moves_to_the_caller_s_next_version(
    db_session: Session, host: FakeHost
) -> None:
    _deploy(db_session, host, "caller.bpmn", "part_review.bpmn")
    case = _start(db_session, host, "b_caller", {})
    _do(db_session, host, case, "first")
    _deploy(db_session, host, "part_review_v2.bpmn", "caller.bpmn")
    (plan,) = migration.preview(db_session, "b_caller")
    assert plan.safe, plan.blockers
    migration.migrate(db_session, host, case.id, to_version=None, actor=WORKER)
    db_session.refresh(case)
    assert case.definition.version == 2
    _do(db_session, host, case, "check_part")
    assert [i.bpmn_id for i in _open(db_session, case)] == ["sign_part"]  # the new steps


@pytest.mark.parametrize(
    ("old", "new", "element", "reason"),
    [
        ('<rule id="r_small">', "<rule>", "grade_unique", "第 1 行规则没有 id"),
        (
            '<inputEntry id="r_mid_in">',
            '<inputEntry id="extra"><text>1</text></inputEntry><inputEntry id="r_mid_in">',
            "r_mid",
            "第 2 行的条件数与输入列数（1）不一致",
        ),
        ("<text>amount</text>", "", "in_amount", "输入列没有表达式"),
        ("&lt; 1000", "&lt;&lt;&lt;", "r_small_in", "第 1 行的条件 <<< 语法错误"),
        ('hitPolicy="UNIQUE"', 'hitPolicy="COLLECT" aggregation="SUM"', "grade_unique", "SUM"),
        (
            "<inputExpression id",
            '<inputExpression expressionLanguage="juel" id',
            "in_amount_expr",
            "表达式语言 juel 不受支持",
        ),
    ],
)
def test_a_malformed_decision_table_is_refused_by_name(
    old: str, new: str, element: str, reason: str
) -> None:
    text = (BUNDLES / "grade_unique.dmn").read_text()
    assert old in text
    findings, checked = decisions.check(text.replace(old, new))
    assert checked is None
    found = [(f.element_id, f.message) for f in findings]
    assert any(eid == element and reason in message for eid, message in found), found
