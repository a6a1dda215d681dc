"""What a diagram must satisfy to deploy, beyond the BPMN schema: every element is one the
engine runs (or is refused here by name, with the reason), every task a person works sits
in a lane, every id fits where it is stored, and every script, condition and timer passes
the sandbox. A diagram that passes can be started and run without a raw exception.

`structure` looks at the diagram as drawn; `code` at the normalised tree (engine.diagram),
where Camunda expressions have already become Python."""

from __future__ import annotations

import ast

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine import flow_checks, message_checks, sandbox
from engine.diagram import BPMN, CAMUNDA, NS, TIMER_KINDS, finding, owner
from engine.errors import DiagramFinding, ScriptRefused
from engine.host import EngineHost

MAX_PROCESS_ID = 64  # process_definition.key
MAX_ELEMENT_ID = 100  # work_item.bpmn_id, case_timer.bpmn_id, case_event.bpmn_id

# Elements the engine does not run, and why: deploying them would leave a case stuck or
# doing less than the diagram says.
REFUSED = {
    "serviceTask": "服务任务不受支持：流程不调用外部系统，请改为脚本任务或用户任务",
    "complexGateway": "复杂网关不受支持：请改为排他、包容或并行网关",
    "adHocSubProcess": "自由子流程（adHocSubProcess）不受支持：请改为嵌入子流程",
}
# Camunda extensions that would run code the diagram does not show; ignoring them would make
# the case behave otherwise than drawn.
REFUSED_EXTENSIONS = {
    "executionListener": "执行监听器（camunda:executionListener）不受支持",
    "taskListener": "任务监听器（camunda:taskListener）不受支持",
    "inputOutput": "输入输出映射（camunda:inputOutput）不受支持",
    "connector": "连接器（camunda:connector）不受支持",
}
FLOW_NODES = {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "subProcess",
    "transaction",
    "adHocSubProcess",
    "callActivity",
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "complexGateway",
}
# The event definitions each kind of event runs with (SpiffWorkflow's parser reads no others:
# an error start event would start at once, a signal end event would throw nothing).
EVENT_KINDS = {
    "timer": "定时",
    "message": "消息",
    "signal": "信号",
    "error": "错误",
    "escalation": "升级",
    "cancel": "取消",
    "compensate": "补偿",
    "conditional": "条件",
    "terminate": "终止",
    "link": "链接",
}
EVENTS_RUN = {
    "startEvent": ("开始事件", {"message", "signal", "timer", "conditional"}),
    "endEvent": ("结束事件", {"message", "cancel", "error", "escalation", "terminate"}),
    "intermediateCatchEvent": (
        "中间捕获事件",
        {"message", "signal", "timer", "conditional", "link"},
    ),
    "intermediateThrowEvent": ("中间抛出事件", {"message", "signal", "escalation", "link"}),
    "boundaryEvent": (
        "边界事件",
        {"cancel", "error", "escalation", "message", "signal", "timer", "conditional"},
    ),
}
PERSON_TASKS = {"userTask": "用户任务", "manualTask": "人工任务"}
SUBPROCESSES = {f"{{{BPMN}}}{tag}" for tag in ("subProcess", "transaction", "adHocSubProcess")}


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def structure(
    root: etree._Element, host: EngineHost, *, borrowed: frozenset[str] = frozenset()
) -> list[DiagramFinding]:
    """`borrowed`: process keys called from other files deployed together with this one; a
    process among them without lanes takes the lane of the calling activity."""
    findings = _ids(root)
    for element in root.iter():
        name = _local(element)
        if element.tag == f"{{{BPMN}}}{name}" and name in REFUSED:
            findings.append(finding(element, REFUSED[name]))
        elif element.tag == f"{{{CAMUNDA}}}{name}" and name in REFUSED_EXTENSIONS:
            findings.append(finding(element, REFUSED_EXTENSIONS[name]))
    findings += _events(root)
    findings += _event_subprocesses(root)
    findings += _timers_per_event(root)
    findings += _lanes(root, host, borrowed)
    findings += message_checks.findings(root)
    findings += flow_checks.findings(root, FLOW_NODES)
    return findings


def _ids(root: etree._Element) -> list[DiagramFinding]:
    findings = []
    for process in root.iterfind("bpmn:process", NS):
        pid = process.get("id") or ""
        if len(pid) > MAX_PROCESS_ID:
            findings.append(
                DiagramFinding(
                    pid[:40] + "…", f"流程 id 过长（{len(pid)} 个字符，最多 {MAX_PROCESS_ID} 个）"
                )
            )
    for element in root.iter():
        name = _local(element)
        if element.tag != f"{{{BPMN}}}{name}" or name not in FLOW_NODES | {"sequenceFlow"}:
            continue
        eid = element.get("id") or ""
        label = element.get("name") or ""
        if not eid:
            where = f"“{label}”" if label else ""
            if name == "sequenceFlow":
                where = f"（{element.get('sourceRef')} → {element.get('targetRef')}）"
            findings.append(finding(element.getparent(), f"{name}{where} 没有 id"))
        elif len(eid) > MAX_ELEMENT_ID:
            findings.append(
                DiagramFinding(
                    eid[:40] + "…", f"元素 id 过长（{len(eid)} 个字符，最多 {MAX_ELEMENT_ID} 个）"
                )
            )
    return findings


def _events(root: etree._Element) -> list[DiagramFinding]:
    findings = []
    for tag, (label, runs) in EVENTS_RUN.items():
        for event in root.iter(f"{{{BPMN}}}{tag}"):
            for definition in event:
                name = _local(definition)
                if not name.endswith("EventDefinition"):
                    continue
                kind = name.removesuffix("EventDefinition")
                if kind not in runs:
                    what = EVENT_KINDS.get(kind, kind)
                    findings.append(finding(event, f"{label}不支持{what}事件定义（{name}）"))
    return findings


def _event_subprocesses(root: etree._Element) -> list[DiagramFinding]:
    """SpiffWorkflow runs an event sub-process beside the flow it belongs to and never
    interrupts that flow; one started by a timer even keeps the case open until it fires."""
    findings = []
    for sub in root.iterfind(".//bpmn:subProcess[@triggeredByEvent='true']", NS):
        for start in sub.iterfind("bpmn:startEvent", NS):
            if start.find("bpmn:timerEventDefinition", NS) is not None:
                findings.append(
                    finding(
                        start,
                        "定时开始的事件子流程不受支持（主流程结束后案件仍会等它）；请改为边界定时器",
                    )
                )
            elif start.get("isInterrupting", "true") != "false":
                findings.append(
                    finding(
                        start,
                        "中断型事件子流程不受支持（引擎不会中断主流程）；"
                        "请设为不中断（isInterrupting=false）或改为边界事件",
                    )
                )
    return findings


def _timers_per_event(root: etree._Element) -> list[DiagramFinding]:
    """SpiffWorkflow keeps one due time per waiting task: an event-based gateway or a multiple
    event with two timers would fire both at the first one's time."""
    findings = []
    for event in root.iter(f"{{{BPMN}}}intermediateCatchEvent", f"{{{BPMN}}}boundaryEvent"):
        if len(event.findall("bpmn:timerEventDefinition", NS)) > 1:
            findings.append(finding(event, "一个事件中只能有一个定时器"))
    for gateway in root.iter(f"{{{BPMN}}}eventBasedGateway"):
        process = gateway.getparent()
        targets = [
            process.find(f"*[@id='{flow.get('targetRef')}']")
            for flow in process.iterfind(f"bpmn:sequenceFlow[@sourceRef='{gateway.get('id')}']", NS)
        ]
        timers = [
            t
            for t in targets
            if t is not None and t.find("bpmn:timerEventDefinition", NS) is not None
        ]
        if len(timers) > 1:
            findings.append(finding(gateway, "事件网关后只能有一个定时器事件"))
    return findings


def _process_of(element: etree._Element) -> etree._Element:
    node = element
    while node.tag != f"{{{BPMN}}}process" and node.getparent() is not None:
        node = node.getparent()
    return node


def _lane_of(element: etree._Element, lanes: dict[str, str]) -> str | None:
    """The lane a node is listed in, or the lane of the nearest sub-process around it."""
    node: etree._Element | None = element
    while node is not None and node.tag != f"{{{BPMN}}}process":
        if node.get("id") in lanes:
            return lanes[node.get("id", "")]
        node = node.getparent()
        while node is not None and node.tag not in SUBPROCESSES | {f"{{{BPMN}}}process"}:
            node = node.getparent()
    return None


def _lanes(
    root: etree._Element, host: EngineHost, borrowed: frozenset[str]
) -> list[DiagramFinding]:
    findings: list[DiagramFinding] = []
    lanes: dict[str, str] = {}
    for lane in root.iterfind(".//bpmn:lane", NS):
        name = (lane.get("name") or "").strip()
        refused = host.lane_refusal(name) if name else "泳道没有名称"
        if refused:
            findings.append(finding(lane, refused))
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            lanes[(ref.text or "").strip()] = name
    called = {el.get("calledElement") for el in root.iterfind(".//bpmn:callActivity", NS)}
    called |= borrowed
    for tag, label in PERSON_TASKS.items():
        for task in root.iterfind(f".//bpmn:{tag}", NS):
            if tag == "userTask":
                key = task.get(f"{{{CAMUNDA}}}formKey")
                if not key:
                    findings.append(finding(task, "用户任务须指定表单（camunda:formKey）"))
                elif (refused := host.form_refusal(key)) is not None:
                    findings.append(finding(task, refused))
            if _lane_of(task, lanes) is None and not _borrows_caller_lane(task, called):
                findings.append(finding(task, f"{label}须放在某个泳道中，以确定由谁办理"))
    for call in root.iterfind(".//bpmn:callActivity", NS):
        has_lanes = _process_of(call).find("bpmn:laneSet", NS) is not None
        if _lane_of(call, lanes) is None and has_lanes:
            findings.append(finding(call, "调用活动须放在某个泳道中"))
    return findings


def _borrows_caller_lane(task: etree._Element, called: set[str | None]) -> bool:
    """A process without lanes that is called by a call activity: its tasks take the lane
    of the calling activity."""
    process = _process_of(task)
    return process.get("id") in called and process.find("bpmn:laneSet", NS) is None


def code(root: etree._Element) -> list[DiagramFinding]:
    """Every script and expression of the normalised tree passes the sandbox; a timer that is
    a literal parses as ISO 8601 now."""
    findings: list[DiagramFinding] = []
    for script in root.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
        findings += _guard(script, sandbox.check_script)
    expressions = [
        ".//bpmn:conditionExpression",
        ".//bpmn:conditionalEventDefinition/bpmn:condition",
        ".//bpmn:loopCardinality",
        ".//bpmn:completionCondition",
        ".//bpmn:loopCondition",
    ]
    for path in expressions:
        for element in root.iterfind(path, NS):
            findings += _guard(element, sandbox.check_expression)
    for kind in TIMER_KINDS:
        for element in root.iterfind(f".//bpmn:timerEventDefinition/bpmn:{kind}", NS):
            found = _guard(element, sandbox.check_expression)
            findings += found or _check_timer_literal(element, kind)
    return findings


def _guard(element: etree._Element, checker: object) -> list[DiagramFinding]:
    source = (element.text or "").strip()
    if not source:
        return [finding(element, "表达式或脚本为空")]
    try:
        checker(source)  # type: ignore[operator]
    except ScriptRefused as exc:
        return [finding(element, f"脚本不安全或有误：{exc}")]
    return []


def _check_timer_literal(element: etree._Element, kind: str) -> list[DiagramFinding]:
    """A timer given as a literal must parse now; one over case data is checked when it runs."""
    source = (element.text or "").strip()
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return []
    if not isinstance(value, str):
        return [finding(owner(element), "定时器表达式须为 ISO 8601 字符串")]
    try:
        if kind == "timeCycle":
            TimerEventDefinition.parse_iso_recurring_interval(value)
        else:
            TimerEventDefinition.parse_time_or_duration(value)
    except Exception:  # SpiffWorkflow raises bare Exception for bad ISO strings
        return [finding(owner(element), f"定时器表达式无法解析：{value}")]
    return []
