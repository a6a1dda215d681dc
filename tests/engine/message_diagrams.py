"""Small diagrams with message events, built from parts, for the message tests."""

from __future__ import annotations

import itertools
import re

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
"""


def key(expression: str, data: str = "") -> str:
    """Extension properties of a message element: its key and the fields it sends."""
    sent = f'<camunda:property name="messageData" value="{data}"/>' if data else ""
    return (
        "<bpmn:extensionElements><camunda:properties>"
        f'<camunda:property name="correlationKey" value="{expression}"/>{sent}'
        "</camunda:properties></bpmn:extensionElements>"
    )


def diagram(
    process_id: str,
    body: str,
    *,
    messages: tuple[str, ...] = ("资金已退回",),
    lane: str = "经办人",
    name: str = "",
) -> str:
    """A process whose elements all sit in one lane; `body` holds its flow nodes and
    sequence flows (ids as written)."""
    nodes = re.findall(r'<bpmn:(?!sequenceFlow)\w+ id="([^"]+)"', body)
    flow_nodes = [n for n in nodes if not n.startswith(("def_", "m_"))]
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in flow_nodes)
    declared = "".join(
        f'<bpmn:message id="m_{i}" name="{name}"/>' for i, name in enumerate(messages)
    )
    return (
        HEAD
        + declared
        + f'<bpmn:process id="{process_id}" name="{name or process_id}" isExecutable="true">'
        + f'<bpmn:laneSet id="lanes"><bpmn:lane id="lane_officer" name="{lane}">{refs}'
        + "</bpmn:lane></bpmn:laneSet>"
        + body
        + "</bpmn:process></bpmn:definitions>"
    )


def flow(source: str, target: str) -> str:
    return (
        f'<bpmn:sequenceFlow id="f_{source}_{target}" sourceRef="{source}" targetRef="{target}"/>'
    )


def chain(*ids: str) -> str:
    return "".join(flow(a, b) for a, b in itertools.pairwise(ids))


def task(task_id: str, form: str = "ack") -> str:
    return f'<bpmn:userTask id="{task_id}" name="{task_id}" camunda:formKey="{form}"/>'


START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'


def catcher(process_id: str = "test_waiter", expression: str = "problem_number") -> str:
    """Start, wait for 资金已退回 keyed by problem_number, then a task."""
    return diagram(
        process_id,
        START
        + '<bpmn:intermediateCatchEvent id="wait" name="等待退回">'
        + key(expression)
        + '<bpmn:messageEventDefinition id="def_wait" messageRef="m_0"/>'
        + "</bpmn:intermediateCatchEvent>"
        + task("ack")
        + END
        + chain("start", "wait", "ack", "end"),
    )


def thrower(process_id: str = "test_sender", data: str = "amount") -> str:
    """Start, a task, then throw 资金已退回 keyed by problem_number with `data`."""
    return diagram(
        process_id,
        START
        + task("work")
        + '<bpmn:intermediateThrowEvent id="send" name="通知退回">'
        + key("problem_number", data)
        + '<bpmn:messageEventDefinition id="def_send" messageRef="m_0"/>'
        + "</bpmn:intermediateThrowEvent>"
        + END
        + chain("start", "work", "send", "end"),
    )


def send_and_receive(process_id: str = "test_tasks") -> str:
    """A send task, then a receive task waiting for the answer (复核请求)."""
    return diagram(
        process_id,
        START
        + '<bpmn:sendTask id="send" name="发出" messageRef="m_0">'
        + key("problem_number", "amount")
        + "</bpmn:sendTask>"
        + '<bpmn:receiveTask id="receive" name="等待复核" messageRef="m_1">'
        + key("problem_number")
        + "</bpmn:receiveTask>"
        + task("ack")
        + END
        + chain("start", "send", "receive", "ack", "end"),
        messages=("资金已退回", "复核请求"),
    )


def boundary(process_id: str = "test_boundary") -> str:
    """A user task that a message interrupts."""
    return diagram(
        process_id,
        START
        + task("work")
        + '<bpmn:boundaryEvent id="stop" name="撤回" attachedToRef="work">'
        + key("problem_number")
        + '<bpmn:messageEventDefinition id="def_stop" messageRef="m_0"/>'
        + "</bpmn:boundaryEvent>"
        + task("ack")
        + END
        + '<bpmn:endEvent id="end_work"/>'
        + chain("start", "work", "end_work")
        + chain("stop", "ack", "end"),
    )


def message_start(process_id: str = "test_started") -> str:
    """A process started by 资金已退回, whose data it receives."""
    return diagram(
        process_id,
        '<bpmn:startEvent id="start" name="收到退回">'
        + '<bpmn:messageEventDefinition id="def_start" messageRef="m_0"/>'
        + "</bpmn:startEvent>"
        + task("ack")
        + END
        + chain("start", "ack", "end"),
    )


def gateway(process_id: str = "test_gateway") -> str:
    """An event-based gateway: the message or a day's timer, whichever comes first."""
    return diagram(
        process_id,
        START
        + '<bpmn:eventBasedGateway id="which"/>'
        + '<bpmn:intermediateCatchEvent id="wait" name="等待退回">'
        + key("problem_number")
        + '<bpmn:messageEventDefinition id="def_wait" messageRef="m_0"/>'
        + "</bpmn:intermediateCatchEvent>"
        + '<bpmn:intermediateCatchEvent id="later" name="一天后">'
        + '<bpmn:timerEventDefinition id="def_later">'
        + '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P1D"</bpmn:timeDuration>'
        + "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
        + task("ack")
        + task("late")
        + END
        + '<bpmn:endEvent id="end_late"/>'
        + chain("start", "which")
        + chain("which", "wait", "ack", "end")
        + chain("which", "later", "late", "end_late"),
    )
