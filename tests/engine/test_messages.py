"""Messages between cases: throw and catch, send and receive tasks, boundary and start events,
event-based gateways, deliveries from outside, and what deploy refuses about them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from engine import cases, definitions, delivery, waits
from engine.errors import CaseFailed, DeploymentRefused
from engine.host import CaseContext
from engine.models import Case, CaseStatus, MessageWait, WorkItem
from tests.engine import message_diagrams as md
from tests.engine.conftest import OFFICER, UNIT
from tests.engine.host import FakeHost

RETURNED = "资金已退回"


def deploy(session: Session, host: FakeHost, *xmls: str) -> None:
    for xml in xmls:
        definitions.deploy(session, xml, host, deployed_by="test")


def start(session: Session, host: FakeHost, key: str, **data: object) -> Case:
    return cases.start_case(
        session,
        host,
        key,
        data=dict(data),
        context=CaseContext(owning_unit_id=UNIT),
        actor=OFFICER,
    )


def open_steps(session: Session, case: Case) -> list[str]:
    return list(
        session.scalars(
            select(WorkItem.bpmn_id)
            .where(WorkItem.case_id == case.id, WorkItem.state == "open")
            .order_by(WorkItem.id)
        )
    )


def complete_only(session: Session, host: FakeHost, case: Case, data: dict[str, object]) -> None:
    item = session.scalars(
        select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.state == "open")
    ).one()
    cases.complete_task(session, host, item.id, data, OFFICER)


def data_of(session: Session, case: Case) -> dict[str, object]:
    workflow = cases.load(session, case)
    return dict(workflow.last_task.data) if workflow.last_task else {}


def kinds(session: Session, case: Case) -> list[str]:
    return [e.kind for e in cases.history(session, case.id)]


def test_a_thrown_message_reaches_every_case_waiting_with_its_key_and_no_other(
    db_session: Session, host: FakeHost
) -> None:
    deploy(db_session, host, md.catcher(), md.thrower())
    first = start(db_session, host, "test_waiter", problem_number="A1")
    second = start(db_session, host, "test_waiter", problem_number="A1")
    other = start(db_session, host, "test_waiter", problem_number="B2")
    assert first.status == CaseStatus.WAITING.value and open_steps(db_session, first) == []
    waiting = db_session.scalars(select(MessageWait).order_by(MessageWait.id)).all()
    assert [(w.case_id, w.name, w.correlation_key) for w in waiting] == [
        (first.id, RETURNED, "A1"),
        (second.id, RETURNED, "A1"),
        (other.id, RETURNED, "B2"),
    ]

    sender = start(db_session, host, "test_sender", problem_number="A1", amount=5, secret="x")
    complete_only(db_session, host, sender, {})

    assert sender.status == CaseStatus.COMPLETED.value
    sent = [e for e in cases.history(db_session, sender.id) if e.kind == "message_sent"]
    assert len(sent) == 1 and f"已送达 2 个案件：#{first.id}、#{second.id}" in sent[0].message
    for case in (first, second):
        assert case.status == CaseStatus.RUNNING.value and open_steps(db_session, case) == ["ack"]
        received = cases.history(db_session, case.id)[-1]
        assert (received.kind, received.title, received.message) == (
            "message_received",
            RETURNED,
            "关联键 A1",
        )
        # Only the fields the throw names travel: never the sender's other data.
        assert json.loads(received.data) == {"amount": 5}
    assert other.status == CaseStatus.WAITING.value
    assert db_session.scalars(select(MessageWait.case_id)).all() == [other.id]


def test_a_message_from_outside_nobody_awaits_and_the_same_message_twice(
    db_session: Session, host: FakeHost
) -> None:
    deploy(db_session, host, md.catcher())
    case = start(db_session, host, "test_waiter", problem_number="A1")

    nobody = delivery.deliver(db_session, host, RETURNED, "ZZ", {})
    assert (
        nobody.nobody_waits and "没有案件在等待消息“资金已退回”（关联键 ZZ）" in nobody.describe()
    )
    assert delivery.deliver(db_session, host, "未知消息", "A1", {}).nobody_waits

    once = delivery.deliver(db_session, host, RETURNED, "A1", {"amount": 3})
    assert once.delivered == [case.id] and open_steps(db_session, case) == ["ack"]
    assert data_of(db_session, case)["amount"] == 3

    again = delivery.deliver(db_session, host, RETURNED, "A1", {"amount": 3})
    assert again.nobody_waits
    assert kinds(db_session, case).count("message_received") == 1


def test_a_key_of_a_number_matches_its_text(db_session: Session, host: FakeHost) -> None:
    deploy(db_session, host, md.catcher(expression="problem_id"))
    case = start(db_session, host, "test_waiter", problem_id=42)
    assert delivery.deliver(db_session, host, RETURNED, "42", {}).delivered == [case.id]


def test_send_and_receive_tasks(db_session: Session, host: FakeHost) -> None:
    deploy(db_session, host, md.send_and_receive(), md.catcher())
    waiter = start(db_session, host, "test_waiter", problem_number="D4")
    case = start(db_session, host, "test_tasks", problem_number="D4", amount=1)
    assert open_steps(db_session, waiter) == ["ack"]  # the send task reached it
    assert case.status == CaseStatus.WAITING.value
    [wait] = waits.of_workflow(cases.load(db_session, case))
    assert (wait.kind, wait.bpmn_id, wait.name, wait.key) == (
        "message",
        "receive",
        "复核请求",
        "D4",
    )
    assert waits.describe(wait) == "等待消息“复核请求”（关联键 D4）"

    answered = delivery.deliver(db_session, host, "复核请求", "D4", {"approved": True})
    assert answered.delivered == [case.id] and open_steps(db_session, case) == ["ack"]


def test_a_boundary_message_interrupts_the_task_it_sits_on(
    db_session: Session, host: FakeHost
) -> None:
    deploy(db_session, host, md.boundary())
    case = start(db_session, host, "test_boundary", problem_number="C3")
    assert open_steps(db_session, case) == ["work"]
    assert [(w.kind, w.name, w.key) for w in waits.of_workflow(cases.load(db_session, case))] == [
        ("message", RETURNED, "C3")
    ]
    assert delivery.deliver(db_session, host, RETURNED, "C3", {}).delivered == [case.id]
    assert open_steps(db_session, case) == ["ack"]
    rows = db_session.execute(
        select(WorkItem.bpmn_id, WorkItem.state).where(WorkItem.case_id == case.id)
    ).all()
    states = {step: state for step, state in rows}
    assert states == {"work": "cancelled", "ack": "open"}


def test_a_message_nobody_waits_for_starts_the_process_it_starts(
    db_session: Session, host: FakeHost
) -> None:
    deploy(db_session, host, md.message_start())
    started = delivery.deliver(
        db_session, host, RETURNED, "E5", {"amount": 9}, context=CaseContext(owning_unit_id=UNIT)
    )
    [case_id] = started.started
    case = db_session.get(Case, case_id)
    assert case is not None and case.definition.key == "test_started"
    assert open_steps(db_session, case) == ["ack"] and case.owning_unit_id == UNIT
    assert data_of(db_session, case)["amount"] == 9
    assert "由消息“资金已退回”启动" in cases.history(db_session, case.id)[0].message
    # A waiting case takes the message first: then nothing new starts.
    deploy(db_session, host, md.catcher())
    waiter = start(db_session, host, "test_waiter", problem_number="E5")
    assert delivery.deliver(db_session, host, RETURNED, "E5", {}).delivered == [waiter.id]


def test_an_event_based_gateway_shows_both_waits_and_takes_the_message(
    db_session: Session, host: FakeHost
) -> None:
    clock.freeze(datetime(2022, 7, 1, tzinfo=UTC))
    deploy(db_session, host, md.gateway())
    by_message = start(db_session, host, "test_gateway", problem_number="F6")
    shown = waits.of_workflow(cases.load(db_session, by_message))
    assert [(w.kind, w.bpmn_id, w.title, w.key) for w in shown if w.kind == "message"] == [
        ("message", "wait", "等待退回", "F6")
    ]
    [timer] = [w for w in shown if w.kind == "timer"]
    assert timer.due_at == datetime(2022, 7, 2, tzinfo=UTC)

    assert delivery.deliver(db_session, host, RETURNED, "F6", {}).delivered == [by_message.id]
    assert open_steps(db_session, by_message) == ["ack"]
    # The case stored after the catch loads again (the gateway's seen events serialize).
    assert cases.load(db_session, by_message) is not None
    assert waits.of_workflow(cases.load(db_session, by_message)) == []


def test_a_throw_that_names_missing_data_fails_the_case_with_a_readable_reason(
    db_session: Session, host: FakeHost
) -> None:
    deploy(db_session, host, md.thrower(data="amount,missing"))
    case = start(db_session, host, "test_sender", problem_number="A1", amount=1)
    with pytest.raises(CaseFailed, match="消息“资金已退回”要发送的数据不存在：missing"):
        complete_only(db_session, host, case, {})


def test_the_bpmn_correlation_property_is_a_key_too(db_session: Session, host: FakeHost) -> None:
    xml = md.catcher().replace(md.key("problem_number"), "")
    xml = xml.replace(
        '<bpmn:process id="test_waiter"',
        '<bpmn:correlationProperty id="cp_number" name="问题编号">'
        '<bpmn:correlationPropertyRetrievalExpression messageRef="m_0">'
        "<bpmn:messagePath>problem_number</bpmn:messagePath>"
        "</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>"
        '<bpmn:process id="test_waiter"',
    )
    deploy(db_session, host, xml)
    case = start(db_session, host, "test_waiter", problem_number="H8")
    assert delivery.deliver(db_session, host, RETURNED, "H8", {}).delivered == [case.id]


@pytest.mark.parametrize(
    ("change", "finding"),
    [
        (lambda x: x.replace(md.key("problem_number"), ""), "wait：消息事件 wait 没有关联键"),
        (
            lambda x: x.replace('value="problem_number"', 'value="__import__(1)"'),
            "wait：消息事件 wait 的关联键表达式不安全或有误",
        ),
        (
            lambda x: x.replace(' messageRef="m_0"', ""),
            "wait：消息事件 wait 未指定有名称的消息",
        ),
        (
            lambda x: x.replace(
                'messageRef="m_0"/>', 'messageRef="m_0" camunda:expression="${x}"/>'
            ),
            "wait：消息事件 wait 的 camunda:expression 不受支持",
        ),
    ],
)
def test_deploy_names_what_is_wrong_with_a_message_event(
    db_session: Session, host: FakeHost, change: object, finding: str
) -> None:
    with pytest.raises(DeploymentRefused) as refused:
        deploy(db_session, host, change(md.catcher()))  # type: ignore[operator]
    assert any(str(f).startswith(finding) for f in refused.value.findings), refused.value.findings


def test_send_tasks_deploy_and_a_bad_data_name_is_refused(
    db_session: Session, host: FakeHost
) -> None:
    deploy(db_session, host, md.send_and_receive())
    with pytest.raises(DeploymentRefused) as refused:
        deploy(db_session, host, md.thrower(data="amount,_secret"))
    assert [str(f) for f in refused.value.findings] == [
        "send：消息事件 send 的 messageData 含无效的数据名：_secret"
    ]


def test_a_message_start_event_needs_no_key(db_session: Session, host: FakeHost) -> None:
    deploy(db_session, host, md.message_start())  # does not raise


def test_messages_answered_by_messages_stop_after_a_bound(
    db_session: Session, host: FakeHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy(db_session, host, md.catcher())
    start(db_session, host, "test_waiter", problem_number="A1")
    monkeypatch.setattr(delivery, "MAX_DELIVERIES", 0)
    with pytest.raises(CaseFailed, match="消息往复过多"):
        delivery.deliver(db_session, host, RETURNED, "A1", {})


def test_timer_due_in_waits_is_local_time(db_session: Session, host: FakeHost) -> None:
    wait = waits.Wait("timer", "t", "t", due_at=datetime(2022, 7, 1, 16, 0, tzinfo=UTC))
    assert waits.describe(wait) == "等待定时器（2022-07-02 00:00 到期）"
    assert waits.describe(waits.Wait("signal", "s", "s", "停办")) == "等待信号“停办”"


def test_a_case_waiting_for_a_signal_says_so(db_session: Session, host: FakeHost) -> None:
    xml = md.diagram(
        "test_signal",
        md.START
        + '<bpmn:intermediateCatchEvent id="halt" name="等待停办">'
        + '<bpmn:signalEventDefinition id="def_halt" signalRef="s_halt"/>'
        + "</bpmn:intermediateCatchEvent>"
        + md.END
        + md.chain("start", "halt", "end"),
    ).replace(
        '<bpmn:process id="test_signal"',
        '<bpmn:signal id="s_halt" name="停办"/><bpmn:process id="test_signal"',
    )
    deploy(db_session, host, xml)
    case = start(db_session, host, "test_signal")
    assert case.status == CaseStatus.WAITING.value
    [wait] = waits.of_workflow(cases.load(db_session, case))
    assert (wait.kind, wait.title, waits.describe(wait)) == ("signal", "等待停办", "等待信号“停办”")
    assert wait.to_json() == {
        "kind": "signal",
        "step": "halt",
        "title": "等待停办",
        "signal": "停办",
    }
