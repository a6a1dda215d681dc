"""Whether a diagram's steps lead somewhere: a process, or a subprocess, with a step from
which no sequence flow leaves (other than an end event) stops there, and a case never ends;
one without an end event has no way to end at all. The editor's 新建流程 is a lone start
event, which the engine would run and finish at once: it deployed as a process that does
nothing."""

from __future__ import annotations

from lxml import etree

from engine.diagram import BPMN, finding
from engine.errors import DiagramFinding

CONTAINERS = ("process", "subProcess", "transaction")
# Steps that rightly have no outgoing flow: an end, a link's throw (it jumps to its catch),
# an event subprocess (started by its event, not by a flow) and a compensation handler
# (refused elsewhere with its own reason).
_NO_FLOW_NEEDED = ("endEvent",)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _leaves_by_design(step: etree._Element) -> bool:
    kind = _local(step)
    if kind in _NO_FLOW_NEEDED:
        return True
    if kind == "intermediateThrowEvent" and step.find(f"{{{BPMN}}}linkEventDefinition") is not None:
        return True
    if kind == "subProcess" and step.get("triggeredByEvent") == "true":
        return True
    if step.get("isForCompensation") == "true":
        return True
    return step.find(f"{{{BPMN}}}compensateEventDefinition") is not None


def findings(root: etree._Element, flow_nodes: set[str]) -> list[DiagramFinding]:
    found: list[DiagramFinding] = []
    for container in root.iter(*(f"{{{BPMN}}}{name}" for name in CONTAINERS)):
        if container.get("triggeredByEvent") == "true":
            continue  # an event subprocess: its own steps are checked, it needs no end
        steps = [child for child in container if _local(child) in flow_nodes]
        sources = {
            flow.get("sourceRef") for flow in container.iterchildren(f"{{{BPMN}}}sequenceFlow")
        }
        label = "流程" if _local(container) == "process" else "子流程"
        if not steps:
            if _local(container) == "process" and container.get("isExecutable") != "false":
                found.append(finding(container, f"{label}中没有任何步骤"))
            continue
        if not any(_local(step) == "endEvent" for step in steps):
            found.append(finding(container, f"{label}没有结束事件：案件将无法正常结束"))
        for step in steps:
            if step.get("id") not in sources and not _leaves_by_design(step):
                name = step.get("name") or step.get("id") or _local(step)
                found.append(
                    finding(
                        step,
                        f"“{name}”没有连出的顺序流：流程走到这里将无法继续，"
                        "请连接到下一步或结束事件",
                    )
                )
    return found
