"""Process definitions: validate a diagram, store it as an immutable version, cache its spec."""

from __future__ import annotations

import ast
import hashlib
import threading

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import message_checks, sandbox, spiff
from engine.errors import DeploymentRefused, DiagramFinding, ScriptRefused, UnknownDefinition
from engine.host import EngineHost
from engine.models import ProcessDefinition
from engine.xmlsafe import UnsafeXml, parse_bpmn

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}
UNSUPPORTED = {
    "serviceTask": "服务任务",
    "businessRuleTask": "业务规则任务",
}


def _finding(element: etree._Element | None, message: str) -> DiagramFinding:
    return DiagramFinding("" if element is None else element.get("id", ""), message)


class Checked:
    """A diagram that passed validation: its executable process and parsed specs."""

    def __init__(self, tree: etree._ElementTree, process_id: str, name: str) -> None:
        self.tree = tree
        self.process_id = process_id
        self.name = name
        self.spec, self.subprocess_specs = spiff.parse_specs(tree, process_id)


def check(xml: bytes | str, host: EngineHost) -> tuple[list[DiagramFinding], Checked | None]:
    """Every finding of a diagram, each tied to its element; the parsed result when none."""
    try:
        tree = parse_bpmn(xml)
    except UnsafeXml as exc:
        return [DiagramFinding("", str(exc))], None
    root = tree.getroot()
    findings: list[DiagramFinding] = []
    try:
        spiff.VALIDATOR.validate(root)
    except ValidationException as exc:
        return [
            DiagramFinding(exc.id or "", f"不符合 BPMN 2.0 规范（第 {exc.line_number} 行）：{exc}")
        ], None
    process_id, process_findings = _main_process(root)
    findings += process_findings
    findings += _check_elements(root, host)
    if findings or process_id is None:
        return findings, None
    process = root.find(f"bpmn:process[@id='{process_id}']", NS)
    name = (process.get("name") if process is not None else None) or process_id
    try:
        return [], Checked(tree, process_id, name)
    except ValidationException as exc:
        return [DiagramFinding(exc.id or "", str(exc))], None
    except SpiffWorkflowException as exc:
        return [DiagramFinding("", f"流程无法解析：{exc}")], None


def _main_process(root: etree._Element) -> tuple[str | None, list[DiagramFinding]]:
    called = {el.get("calledElement") for el in root.iterfind(".//bpmn:callActivity", NS)}
    executable = [
        p
        for p in root.iterfind("bpmn:process", NS)
        if p.get("isExecutable") == "true" and p.get("id") not in called
    ]
    if len(executable) != 1:
        return None, [
            DiagramFinding(
                "", f"须有且仅有一个可执行的主流程（isExecutable=true），现有 {len(executable)} 个"
            )
        ]
    return executable[0].get("id"), []


def _check_elements(root: etree._Element, host: EngineHost) -> list[DiagramFinding]:
    findings: list[DiagramFinding] = []
    for tag, label in UNSUPPORTED.items():
        for element in root.iterfind(f".//bpmn:{tag}", NS):
            findings.append(_finding(element, f"不支持{label}"))
    lanes: dict[str, str] = {}
    for lane in root.iterfind(".//bpmn:lane", NS):
        name = (lane.get("name") or "").strip()
        finding = host.lane_refusal(name) if name else "泳道没有名称"
        if finding:
            findings.append(_finding(lane, finding))
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            lanes[(ref.text or "").strip()] = name
    called = {el.get("calledElement") for el in root.iterfind(".//bpmn:callActivity", NS)}
    for task in root.iterfind(".//bpmn:userTask", NS):
        key = task.get(f"{{{CAMUNDA}}}formKey")
        if not key:
            findings.append(_finding(task, "用户任务须指定表单（camunda:formKey）"))
        elif (finding := host.form_refusal(key)) is not None:
            findings.append(_finding(task, finding))
        if task.get("id") not in lanes and not _borrows_caller_lane(task, called):
            findings.append(_finding(task, "用户任务须放在某个泳道中，以确定由谁办理"))
    for call in root.iterfind(".//bpmn:callActivity", NS):
        if call.get("id") not in lanes and _process_of(call).find("bpmn:laneSet", NS) is not None:
            findings.append(_finding(call, "调用活动须放在某个泳道中"))
    findings += _check_code(root)
    findings += message_checks.findings(root)
    return findings


def _process_of(element: etree._Element) -> etree._Element:
    node = element
    while node.tag != f"{{{BPMN}}}process" and node.getparent() is not None:
        node = node.getparent()
    return node


def _borrows_caller_lane(task: etree._Element, called: set[str | None]) -> bool:
    """A process without lanes that is called by a call activity: its tasks take the lane
    of the calling activity."""
    process = _process_of(task)
    return process.get("id") in called and process.find("bpmn:laneSet", NS) is None


def _owner(element: etree._Element) -> etree._Element:
    """The nearest ancestor with an id: the element a finding is shown on."""
    node: etree._Element | None = element
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node if node is not None else element


def _check_code(root: etree._Element) -> list[DiagramFinding]:
    findings: list[DiagramFinding] = []
    for script in root.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
        findings += _guard(script, sandbox.check_script)
    expressions = [
        ".//bpmn:conditionExpression",
        ".//bpmn:conditionalEventDefinition/bpmn:condition",
        ".//bpmn:loopCardinality",
        ".//bpmn:completionCondition",
    ]
    for path in expressions:
        for element in root.iterfind(path, NS):
            findings += _guard(element, sandbox.check_expression)
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        for element in root.iterfind(f".//bpmn:timerEventDefinition/bpmn:{kind}", NS):
            found = _guard(element, sandbox.check_expression)
            findings += found or _check_timer_literal(element, kind)
    return findings


def _guard(element: etree._Element, checker: object) -> list[DiagramFinding]:
    source = (element.text or "").strip()
    if not source:
        return [_finding(_owner(element), "表达式或脚本为空")]
    try:
        checker(source)  # type: ignore[operator]
    except ScriptRefused as exc:
        return [_finding(_owner(element), f"脚本不安全或有误：{exc}")]
    return []


def _check_timer_literal(element: etree._Element, kind: str) -> list[DiagramFinding]:
    """A timer given as a quoted literal must parse now; a variable is checked when it runs."""
    source = (element.text or "").strip()
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return []
    if not isinstance(value, str):
        return [_finding(_owner(element), "定时器表达式须为 ISO 8601 字符串")]
    try:
        if kind == "timeCycle":
            TimerEventDefinition.parse_iso_recurring_interval(value)
        else:
            TimerEventDefinition.parse_time_or_duration(value)
    except Exception:  # SpiffWorkflow raises bare Exception for bad ISO strings
        return [_finding(_owner(element), f"定时器表达式无法解析：{value}")]
    return []


def deploy(
    session: Session, xml: bytes | str, host: EngineHost, *, deployed_by: str
) -> tuple[ProcessDefinition, bool]:
    """Store a new version; returns (definition, created). Re-deploying an unchanged diagram
    returns the latest version as it is. Refuses, storing nothing, when any finding exists."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    findings, checked = check(text, host)
    if findings or checked is None:
        raise DeploymentRefused(findings)
    digest = text_digest(text)
    latest = latest_version(session, checked.process_id)
    if latest is not None and latest.sha256 == digest:
        return latest, False
    version = (latest.version if latest else 0) + 1
    definition = ProcessDefinition(
        key=checked.process_id,
        version=version,
        name=checked.name,
        bpmn_xml=text,
        sha256=digest,
        deployed_by=deployed_by,
    )
    session.add(definition)
    session.flush()
    _cache_put(definition, checked.spec, checked.subprocess_specs)
    return definition, True


def text_digest(text: str) -> str:
    """What identifies a diagram's content: the SHA-256 of its text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def process_key(text: str) -> str:
    """The key a diagram deploys under (its executable process's id), or '' when it has none
    (deploying it would say why)."""
    try:
        process_id, _ = _main_process(parse_bpmn(text).getroot())
    except UnsafeXml:
        return ""
    return process_id or ""


def all_versions(session: Session, key: str) -> list[ProcessDefinition]:
    return list(
        session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version)
        )
    )


def latest_version(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()


def require_latest(session: Session, key: str) -> ProcessDefinition:
    definition = latest_version(session, key)
    if definition is None:
        raise UnknownDefinition(f"流程定义不存在：{key}")
    return definition


def versions(session: Session) -> list[tuple[str, int]]:
    rows = session.execute(
        select(ProcessDefinition.key, func.max(ProcessDefinition.version))
        .group_by(ProcessDefinition.key)
        .order_by(ProcessDefinition.key)
    )
    return [(key, version) for key, version in rows]


# Keyed by (id, sha256): an id can come back after a rolled-back deploy, a digest cannot lie.
_SPECS: dict[tuple[int, str], tuple[spiff.BpmnProcessSpec, dict[str, spiff.BpmnProcessSpec]]] = {}
_SPECS_LOCK = threading.Lock()


def _cache_put(
    definition: ProcessDefinition,
    spec: spiff.BpmnProcessSpec,
    subprocess_specs: dict[str, spiff.BpmnProcessSpec],
) -> None:
    with _SPECS_LOCK:
        _SPECS[(definition.id, definition.sha256)] = (spec, subprocess_specs)


def specs_for(
    definition: ProcessDefinition,
) -> tuple[spiff.BpmnProcessSpec, dict[str, spiff.BpmnProcessSpec]]:
    """The parsed spec of a stored version; versions never change, so parse once per process."""
    cached = _SPECS.get((definition.id, definition.sha256))
    if cached is None:
        cached = spiff.parse_specs(parse_bpmn(definition.bpmn_xml), definition.key)
        _cache_put(definition, *cached)
    return cached
