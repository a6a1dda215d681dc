"""A diagram rewritten into what SpiffWorkflow runs, the same way at deploy and at every parse.

The stored XML stays as the administrator drew it (so the modeler opens it unchanged); the
rewrite happens on the parsed tree each time a version is parsed:

- Camunda expressions (bare ISO 8601 timers, `${...}`) become Python (engine.dialect);
  scripts and conditions in another language are refused by name.
- `camunda:collection` and `camunda:elementVariable` become the standard
  `loopDataInputRef` and `inputDataItem` (engine.spiff_parser reads those).
- A link throw event and the catch event of the same name become a sequence flow between
  them: SpiffWorkflow has no link events, and would end the branch at the throw event.

Every problem found on the way is returned as a finding on its element."""

from __future__ import annotations

from lxml import etree

from engine import dialect
from engine.errors import DiagramFinding

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}
TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
LINK_FLOW_PREFIX = "link_flow__"


def owner(element: etree._Element) -> etree._Element:
    """The nearest element with an id: the one a finding is shown on."""
    node: etree._Element | None = element
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node if node is not None else element


def finding(element: etree._Element | None, message: str) -> DiagramFinding:
    return DiagramFinding("" if element is None else owner(element).get("id", ""), message)


def normalise(root: etree._Element) -> list[DiagramFinding]:
    """Rewrite the tree in place; the findings of what cannot be rewritten."""
    findings: list[DiagramFinding] = []
    findings += _scripts(root)
    findings += _expressions(root)
    findings += _timers(root)
    findings += _multi_instance(root)
    findings += _links(root)
    _called_processes_run(root)
    return findings


def _called_processes_run(root: etree._Element) -> None:
    """A process called by a call activity runs as part of the main one, whatever its
    isExecutable says (modelers often leave it false); SpiffWorkflow runs only executable ones."""
    called = {call.get("calledElement") for call in root.iterfind(".//bpmn:callActivity", NS)}
    for process in root.iterfind("bpmn:process", NS):
        if process.get("id") in called:
            process.set("isExecutable", "true")


def _scripts(root: etree._Element) -> list[DiagramFinding]:
    findings = []
    for task in root.iterfind(".//bpmn:scriptTask", NS):
        try:
            dialect.require_python(task.get("scriptFormat"), "脚本")
        except dialect.Unsupported as exc:
            findings.append(finding(task, str(exc)))
            continue
        if task.get(f"{{{CAMUNDA}}}resource"):
            findings.append(
                finding(task, "外部脚本文件（camunda:resource）不受支持，请把脚本写在图中")
            )
        elif task.find("bpmn:script", NS) is None:
            findings.append(finding(task, "脚本任务没有脚本"))
        if task.get(f"{{{CAMUNDA}}}resultVariable"):
            findings.append(
                finding(task, "camunda:resultVariable 不受支持，请在脚本中直接给变量赋值")
            )
    return findings


def _rewrite(element: etree._Element, translate: object) -> list[DiagramFinding]:
    source = element.text or ""
    if not source.strip():
        return [finding(element, "表达式或脚本为空")]
    try:
        element.text = translate(source)  # type: ignore[operator]
    except dialect.Unsupported as exc:
        return [finding(element, str(exc))]
    return []


def _expressions(root: etree._Element) -> list[DiagramFinding]:
    findings = []
    paths = (
        ".//bpmn:conditionExpression",
        ".//bpmn:conditionalEventDefinition/bpmn:condition",
        ".//bpmn:loopCardinality",
        ".//bpmn:completionCondition",
        ".//bpmn:loopCondition",
    )
    for path in paths:
        for element in root.iterfind(path, NS):
            try:
                dialect.require_python(element.get("language"), "表达式")
            except dialect.Unsupported as exc:
                findings.append(finding(element, str(exc)))
                continue
            if element.get(f"{{{CAMUNDA}}}resource"):
                findings.append(finding(element, "外部表达式文件（camunda:resource）不受支持"))
                continue
            findings += _rewrite(element, dialect.expression)
    return findings


def _timers(root: etree._Element) -> list[DiagramFinding]:
    findings = []
    for definition in root.iterfind(".//bpmn:timerEventDefinition", NS):
        kinds = [child for child in definition if etree.QName(child).localname in TIMER_KINDS]
        if len(kinds) != 1:
            findings.append(finding(definition, "定时器须有且仅有一个时间设置（日期、时长或周期）"))
            continue
        element = kinds[0]
        kind = etree.QName(element).localname
        findings += _rewrite(element, lambda text, kind=kind: dialect.timer(text, kind))
    return findings


def _multi_instance(root: etree._Element) -> list[DiagramFinding]:
    findings = []
    for loop in root.iterfind(".//bpmn:multiInstanceLoopCharacteristics", NS):
        collection = loop.attrib.pop(f"{{{CAMUNDA}}}collection", None)
        variable = loop.attrib.pop(f"{{{CAMUNDA}}}elementVariable", None)
        has_input = loop.find("bpmn:loopDataInputRef", NS) is not None
        has_cardinality = loop.find("bpmn:loopCardinality", NS) is not None
        if collection is not None:
            if has_input or has_cardinality:
                findings.append(finding(loop, "多实例不能同时指定集合与实例数"))
                continue
            try:
                name = dialect.data_name(collection, "多实例集合")
            except dialect.Unsupported as exc:
                findings.append(finding(loop, str(exc)))
                continue
            ref = etree.Element(f"{{{BPMN}}}loopDataInputRef")
            ref.text = name
            loop.insert(0, ref)
            has_input = True
        if variable is not None:
            try:
                name = dialect.data_name(variable, "多实例元素变量")
            except dialect.Unsupported as exc:
                findings.append(finding(loop, str(exc)))
                continue
            if loop.find("bpmn:inputDataItem", NS) is None:
                item = etree.Element(f"{{{BPMN}}}inputDataItem", id=name, name=name)
                position = 1 if has_input else 0
                loop.insert(position, item)
        if not has_input and not has_cardinality:
            findings.append(finding(loop, "多实例须指定实例数（loopCardinality）或集合"))
        elif has_input and has_cardinality:
            findings.append(finding(loop, "多实例不能同时指定集合与实例数"))
    return findings


def _links(root: etree._Element) -> list[DiagramFinding]:
    findings = []
    for scope in [*root.iterfind("bpmn:process", NS), *root.iterfind(".//bpmn:subProcess", NS)]:
        catches: dict[str, etree._Element] = {}
        throws: list[tuple[str, etree._Element]] = []
        for event in scope:
            link = event.find("bpmn:linkEventDefinition", NS)
            if link is None:
                continue
            name = (link.get("name") or "").strip()
            kind = etree.QName(event).localname
            if not name:
                findings.append(finding(event, "链接事件没有名称"))
            elif kind == "intermediateCatchEvent":
                if name in catches:
                    findings.append(finding(event, f"链接名称“{name}”有多个捕获事件"))
                catches[name] = event
            elif kind == "intermediateThrowEvent":
                throws.append((name, event))
            else:
                findings.append(finding(event, "链接事件只能是中间事件"))
            event.remove(link)
        for name, throw in throws:
            target = catches.get(name)
            if target is None:
                findings.append(finding(throw, f"链接事件“{name}”找不到同名的捕获事件"))
                continue
            flow = etree.SubElement(
                scope,
                f"{{{BPMN}}}sequenceFlow",
                id=f"{LINK_FLOW_PREFIX}{throw.get('id')}",
                sourceRef=throw.get("id", ""),
                targetRef=target.get("id", ""),
            )
            flow.tail = "\n"
    return findings
