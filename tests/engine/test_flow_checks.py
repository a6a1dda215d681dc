"""A diagram whose steps lead nowhere is refused at deploy (engine.flow_checks): the
editor's 新建流程, a lone start event, deployed as a process that does nothing."""

from __future__ import annotations

from engine import definitions
from tests.engine.conftest import FakeHost

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" '
    'targetNamespace="http://ykt.local/workflows">'
)


def _process(body: str) -> str:
    process = f'<bpmn:process id="p" name="测试" isExecutable="true">{body}</bpmn:process>'
    return f"{HEAD}{process}</bpmn:definitions>"


def _findings(xml: str) -> list[tuple[str, str]]:
    problems, checked = definitions.check(xml, FakeHost())
    assert (checked is None) == bool(problems)
    return [(p.element_id, p.message) for p in problems]


def test_the_editors_new_diagram_is_refused() -> None:
    found = _findings(_process('<bpmn:startEvent id="start"/>'))
    assert ("p", "流程没有结束事件：案件将无法正常结束") in found
    assert any(element == "start" and "没有连出的顺序流" in text for element, text in found)


def test_a_step_that_leads_nowhere_is_named() -> None:
    found = _findings(
        _process(
            '<bpmn:startEvent id="start"/><bpmn:scriptTask id="tally" name="计数">'
            "<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>"
            '<bpmn:endEvent id="end"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="tally"/>'
        )
    )
    assert found == [
        ("tally", "“计数”没有连出的顺序流：流程走到这里将无法继续，请连接到下一步或结束事件")
    ]


def test_a_process_with_no_step_is_refused() -> None:
    assert ("p", "流程中没有任何步骤") in _findings(_process(""))


def test_a_process_that_flows_to_its_end_deploys() -> None:
    assert (
        _findings(
            _process(
                '<bpmn:startEvent id="start"/><bpmn:scriptTask id="tally" name="计数">'
                "<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>"
                '<bpmn:endEvent id="end"/>'
                '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="tally"/>'
                '<bpmn:sequenceFlow id="f2" sourceRef="tally" targetRef="end"/>'
            )
        )
        == []
    )
