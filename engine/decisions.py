"""Decision tables (DMN): what a DMN file must satisfy to deploy, how a table decides, and the
stored decision versions.

A business rule task's decision table runs through SpiffWorkflow's DMN engine, which turns
each cell into a Python expression (`(input) == (cell)`, `input < 10`, or the cell with `?`
standing for the input) and hands it to the case's script engine, which is the sandbox
(engine.spiff). At deploy every one of those expressions is built exactly as the DMN engine
builds it (by running the engine against a recorder instead of a script engine) and checked
by the sandbox, so a cell that could not run there is refused by name before it is stored.
Cells are read as Python; the part of FEEL that means the same in Python (strings, numbers,
comparisons such as `< 10`) works as written, FEEL lists and ranges are refused with the
Python to write instead."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.dmn.specs.model import DecisionTable
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import dialect, sandbox
from engine.errors import DiagramFinding, ScriptRefused
from engine.models import DecisionDefinition
from engine.xmlsafe import UnsafeXml, decode, parse_bpmn

MAX_DECISION_ID = 100  # decision_definition.key
# How a table's matching rules become its result. SpiffWorkflow's engine stops at the first
# match for UNIQUE; ours checks that no second rule matches (engine.decisions.TableRun).
HIT_POLICIES = {"UNIQUE", "FIRST", "COLLECT", "RULE ORDER"}
REFUSED_POLICIES = {
    "ANY": "命中策略 ANY 不受支持：请改为 UNIQUE 或 FIRST",
    "PRIORITY": "命中策略 PRIORITY 不受支持：请按优先级排列规则并改为 FIRST",
    "OUTPUT ORDER": "命中策略 OUTPUT ORDER 不受支持：请改为 RULE ORDER 或 COLLECT",
}
EXPRESSION_LANGUAGES = dialect.PYTHON_LANGUAGES | {"feel"}


class TableRun(DMNEngine):
    """A decision table as the DMN standard decides it: UNIQUE fails when two rules match
    (the case goes into error, naming the rows), FIRST takes the first match, COLLECT and
    RULE ORDER give each output as the list of every matching rule's value, in rule order.
    No match gives no output."""

    def decide(self, task: Any) -> list[Any]:
        table = self.decision_table
        check = self._DMNEngine__check_rule  # SpiffWorkflow's own test of one rule (private)
        matched = [rule for rule in table.rules if check(rule, task)]
        if table.hit_policy == "UNIQUE" and len(matched) > 1:
            rows = "、".join(str(rule.row_number) for rule in matched)
            raise WorkflowTaskException(
                f"决策表“{table.name or table.id}”的命中策略为 UNIQUE，但第 {rows} 行同时命中",
                task=task,
            )
        return matched[:1] if table.hit_policy == "FIRST" else matched

    def result(self, task: Any) -> dict[str, Any]:
        matched = self.decide(task)
        if self.decision_table.hit_policy in ("COLLECT", "RULE ORDER"):
            result: dict[str, Any] = {}
            for rule in matched:
                for name, value in rule.output_as_dict(task).items():
                    result.setdefault(name, []).append(value)
            return result
        return dict(matched[0].output_as_dict(task)) if matched else {}


@dataclass
class CheckedDecision:
    key: str
    name: str
    text: str


def check(xml: bytes | str) -> tuple[list[DiagramFinding], CheckedDecision | None]:
    """Every finding of a DMN file, each tied to its element; the decision when none."""
    try:
        text = decode(xml)
        root = parse_bpmn(text).getroot()
    except UnsafeXml as exc:
        return [DiagramFinding("", str(exc))], None
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "definitions" or namespace not in DMN_SCHEMAS:
        return [DiagramFinding("", "不是 DMN 文件（根元素应为 DMN 1.1–1.3 的 definitions）")], None
    try:
        BpmnValidator(DMN_SCHEMAS[namespace]).validate(root)
    except ValidationException as exc:
        return [DiagramFinding("", f"不符合 DMN 规范（第 {exc.line_number} 行）：{exc}")], None
    ns = {"dmn": namespace}
    decisions = root.findall("dmn:decision", ns)
    if len(decisions) != 1:
        return [
            DiagramFinding("", f"一个 DMN 文件须有且仅有一个决策，现有 {len(decisions)} 个")
        ], None
    decision = decisions[0]
    key = decision.get("id") or ""
    findings = _shape(root, decision, ns)
    if len(key) > MAX_DECISION_ID:
        findings.append(
            DiagramFinding(key[:40] + "…", f"决策 id 过长（最多 {MAX_DECISION_ID} 个字符）")
        )
    if findings:
        return findings, None
    try:
        parser = DMNParser(None, root, {"dmn": namespace})
        parser.parse()
    except ValidationException as exc:
        return [DiagramFinding(exc.id or key, f"决策表无法解析：{exc}")], None
    except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
        return [DiagramFinding(key, f"决策表无法解析：{type(exc).__name__}: {exc}")], None
    findings = _cells(parser.decision.decisionTables[0])
    if findings:
        return findings, None
    return [], CheckedDecision(key, (decision.get("name") or key)[:200], text)


def _shape(
    root: etree._Element, decision: etree._Element, ns: dict[str, str]
) -> list[DiagramFinding]:
    key = decision.get("id") or ""
    tables = decision.findall("dmn:decisionTable", ns)
    if len(tables) != 1:
        return [DiagramFinding(key, "决策须是一张决策表（不支持字面表达式、多张表或决策需求图）")]
    table = tables[0]
    findings = []
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy in REFUSED_POLICIES:
        findings.append(DiagramFinding(key, REFUSED_POLICIES[policy]))
    elif policy not in HIT_POLICIES:
        findings.append(DiagramFinding(key, f"命中策略 {policy} 不受支持"))
    if table.get("aggregation"):
        findings.append(
            DiagramFinding(
                key, f"COLLECT 的聚合（{table.get('aggregation')}）不受支持：输出为全部命中值的列表"
            )
        )
    if (table.get("preferredOrientation") or "Rule-as-Row") != "Rule-as-Row":
        findings.append(DiagramFinding(key, "决策表须按行排列规则（Rule-as-Row）"))
    for element in (root, *root.iter()):
        language = element.get("expressionLanguage")
        if language is not None and dialect.language_name(language) not in EXPRESSION_LANGUAGES:
            where = element.get("id") or element.getparent().get("id") or key
            findings.append(
                DiagramFinding(
                    where, f"表达式语言 {dialect.language_name(language)} 不受支持（只支持 Python）"
                )
            )
    for column in table.findall("dmn:input", ns):
        expression = column.find("dmn:inputExpression/dmn:text", ns)
        if expression is None or not (expression.text or "").strip():
            findings.append(DiagramFinding(column.get("id") or key, "输入列没有表达式"))
    for column in table.findall("dmn:output", ns):
        if not (column.get("name") or column.get("label") or "").strip():
            findings.append(DiagramFinding(column.get("id") or key, "输出列没有名称"))
    inputs, outputs = len(table.findall("dmn:input", ns)), len(table.findall("dmn:output", ns))
    for row, rule in enumerate(table.findall("dmn:rule", ns), start=1):
        where = rule.get("id") or key
        if not rule.get("id"):
            findings.append(DiagramFinding(key, f"第 {row} 行规则没有 id"))
        if len(rule.findall("dmn:inputEntry", ns)) != inputs:
            findings.append(
                DiagramFinding(where, f"第 {row} 行的条件数与输入列数（{inputs}）不一致")
            )
        if len(rule.findall("dmn:outputEntry", ns)) != outputs:
            findings.append(
                DiagramFinding(where, f"第 {row} 行的输出数与输出列数（{outputs}）不一致")
            )
    return findings


class _Recorder:
    """Stands for the script engine while the DMN engine builds a cell's expressions."""

    def __init__(self) -> None:
        self.expressions: list[str] = []

    def validate(self, expression: str) -> None:
        ast.parse(expression)  # what SpiffWorkflow's script engine does

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> bool:
        self.expressions.append(expression)
        return True


def _cells(table: DecisionTable) -> list[DiagramFinding]:
    findings: list[DiagramFinding] = []
    run = DMNEngine(table)
    for column in table.inputs:
        findings += _sandboxed(column.id, "输入列表达式", column.expression or "")
    for rule in table.rules:
        for entry in rule.inputEntries:
            cell = entry.lhs[0] if entry.lhs else None
            if cell is None or not cell.strip():
                continue
            refused = _feel_only(cell)
            if refused:
                findings.append(DiagramFinding(entry.id, f"第 {rule.row_number} 行：{refused}"))
                continue
            recorder = _Recorder()
            task = SimpleNamespace(workflow=SimpleNamespace(script_engine=recorder), data={})
            try:
                run.evaluate(entry.input.expression, cell, task)
            except SyntaxError as exc:
                message = f"第 {rule.row_number} 行的条件 {cell} 语法错误：{exc.msg}"
                findings.append(DiagramFinding(entry.id, message))
                continue
            for expression in recorder.expressions:
                found = _sandboxed(entry.id, f"第 {rule.row_number} 行的条件 {cell}", expression)
                findings += found
                if found:
                    break
        for entry in rule.outputEntries:
            if entry.text and entry.text.strip():
                findings += _sandboxed(entry.id, f"第 {rule.row_number} 行的输出", entry.text)
    return findings


def _feel_only(cell: str) -> str:
    """FEEL that parses as Python but means something else there, or does not parse."""
    stripped = cell.strip()
    if ".." in stripped and stripped[:1] in "[]()":
        return f"FEEL 区间 {stripped} 不受支持，请写成 Python 比较（如 1 <= ? <= 10）"
    if stripped.startswith("not(") or stripped.startswith("not ("):
        return f'FEEL 否定 {stripped} 不受支持，请写成 Python 比较（如 ? != "a"）'
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError:
        return ""  # named with the expression the DMN engine builds
    if isinstance(tree.body, ast.Tuple):
        return f"FEEL 列表 {stripped} 不受支持，请写成 ? in ({stripped})"
    return ""


def _sandboxed(element_id: str, what: str, expression: str) -> list[DiagramFinding]:
    if not expression.strip():
        return [DiagramFinding(element_id, f"{what}为空")]
    try:
        sandbox.check_expression(expression)
    except ScriptRefused as exc:
        return [DiagramFinding(element_id, f"{what} 不安全或有误：{exc}")]
    return []


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def latest_version(session: Session, key: str) -> DecisionDefinition | None:
    return session.scalars(
        select(DecisionDefinition)
        .where(DecisionDefinition.key == key)
        .order_by(DecisionDefinition.version.desc())
        .limit(1)
    ).first()


def store(
    session: Session, checked: CheckedDecision, *, deployed_by: str
) -> tuple[DecisionDefinition, bool]:
    """Store a checked decision as a new version; an unchanged one returns the latest."""
    digest = text_digest(checked.text)
    latest = latest_version(session, checked.key)
    if latest is not None and latest.sha256 == digest:
        return latest, False
    decision = DecisionDefinition(
        key=checked.key,
        version=(latest.version if latest else 0) + 1,
        name=checked.name,
        dmn_xml=checked.text,
        sha256=digest,
        deployed_by=deployed_by,
    )
    session.add(decision)
    session.flush()
    return decision, True
