"""Processes of the campaign's own vocabulary (lanes, forms) for starting cases by hand, by
message and on schedule."""

from __future__ import annotations

from tests.engine import message_diagrams as md

OFFICER_LANE = "本单位经办人"
FORM_START = '<bpmn:startEvent id="start" name="提出事项" camunda:formKey="start_matter"/>'


def waiter(process_id: str = "matter_waiter") -> str:
    """An officer starts it with the 发起事项 form; it waits for 资金已退回 keyed by the
    matter's reference, then the officer acknowledges."""
    return md.diagram(
        process_id,
        FORM_START
        + '<bpmn:intermediateCatchEvent id="wait" name="等待退回通知">'
        + md.key("reference")
        + '<bpmn:messageEventDefinition id="def_wait" messageRef="m_0"/>'
        + "</bpmn:intermediateCatchEvent>"
        + md.task("ack", "acknowledge")
        + md.END
        + md.chain("start", "wait", "ack", "end"),
        lane=OFFICER_LANE,
        name="退回资金跟踪",
    )


def plain(process_id: str = "matter_plain") -> str:
    """Started without a form: straight to a task."""
    return md.diagram(
        process_id,
        md.START + md.task("ack", "acknowledge") + md.END + md.chain("start", "ack", "end"),
        lane=OFFICER_LANE,
        name="简单事项",
    )


def timer_started(process_id: str = "matter_timer", cycle: str = "R/PT1H") -> str:
    """Started by the scheduler every hour; the office acknowledges."""
    return md.diagram(
        process_id,
        '<bpmn:startEvent id="start" name="每小时"><bpmn:timerEventDefinition id="def_t">'
        f'<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"{cycle}"</bpmn:timeCycle>'
        "</bpmn:timerEventDefinition></bpmn:startEvent>"
        + md.task("ack", "acknowledge")
        + md.END
        + md.chain("start", "ack", "end"),
        lane="领导小组办公室",
        name="定时巡查",
    )
