"""What deploy checks about message events (engine.messages says what they mean): every
message names a declared message, every one but a start event has a key, keys are safe
expressions, and a throw sends named data fields rather than running Camunda delegates."""

from __future__ import annotations

from lxml import etree

from engine import sandbox
from engine.errors import DiagramFinding, ScriptRefused
from engine.messages import (
    CAMUNDA,
    DATA_PROPERTY,
    KEY_PROPERTY,
    NS,
    correlation_expression,
    message_definition,
    properties_of,
)

ELEMENTS = (
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "endEvent",
    "startEvent",
    "sendTask",
    "receiveTask",
)
LABELS = {"sendTask": "发送任务", "receiveTask": "接收任务"}
DELEGATES = ("expression", "class", "delegateExpression", "type", "topic")


def findings(root: etree._Element) -> list[DiagramFinding]:
    found: list[DiagramFinding] = []
    declared = {
        m.get("id"): (m.get("name") or "").strip() for m in root.iterfind(".//bpmn:message", NS)
    }
    for tag in ELEMENTS:
        for element in root.iterfind(f".//bpmn:{tag}", NS):
            definition = message_definition(element)
            if definition is None and tag not in LABELS:
                continue
            found += _check(root, element, definition, tag, declared)
    return found


def _check(
    root: etree._Element,
    element: etree._Element,
    definition: etree._Element | None,
    tag: str,
    declared: dict[str | None, str],
) -> list[DiagramFinding]:
    element_id = element.get("id", "")
    label = f"{LABELS.get(tag, '消息事件')} {element_id}"
    ref = definition.get("messageRef") if definition is not None else None
    if not ref or not declared.get(ref):
        return [
            DiagramFinding(
                element_id, f"{label} 未指定有名称的消息（messageRef 指向 bpmn:message）"
            )
        ]
    found: list[DiagramFinding] = []
    properties = properties_of(element)
    expressions = correlation_expression(root, ref)
    key = properties.get(KEY_PROPERTY, "")
    if not key and len(expressions) > 1:
        found.append(DiagramFinding(element_id, f"{label} 的消息有多个关联属性，只支持一个关联键"))
    elif not key and expressions:
        key = expressions[0]
    if not key and tag != "startEvent":
        found.append(
            DiagramFinding(
                element_id,
                f"{label} 没有关联键（扩展属性 {KEY_PROPERTY}，或消息的 correlationProperty）",
            )
        )
    elif key:
        try:
            sandbox.check_expression(key)
        except ScriptRefused as exc:
            found.append(DiagramFinding(element_id, f"{label} 的关联键表达式不安全或有误：{exc}"))
    for holder in {id(element): element, id(definition): definition}.values():
        for name in DELEGATES:
            if holder is not None and holder.get(f"{{{CAMUNDA}}}{name}") is not None:
                reason = f"{label} 的 camunda:{name} 不受支持；要发送的数据请用扩展属性"
                found.append(DiagramFinding(element_id, f"{reason} {DATA_PROPERTY}"))
    for field in properties.get(DATA_PROPERTY, "").split(","):
        if field.strip() and (not field.strip().isidentifier() or field.strip().startswith("_")):
            found.append(
                DiagramFinding(
                    element_id, f"{label} 的 {DATA_PROPERTY} 含无效的数据名：{field.strip()}"
                )
            )
    return found
