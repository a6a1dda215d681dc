"""Delivering a message to the cases that wait for it, or starting a case with it.

A message has a name, a key and a payload (a JSON object). It reaches every running case
that waits for that name with that key (`case_message_wait`, found by index; each case is
locked and loaded, and SpiffWorkflow decides whether a waiting task catches it). When no case
waits, it starts one case of every process whose message start event catches the name. When
neither, nobody waits for it: the caller says so. Messages thrown by a case that no task of
the same case catches come here too, in the sender's transaction (engine.cases._save)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.util import BpmnEvent
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import case_locks, cases, definitions, messages, starts
from engine.errors import CaseFailed
from engine.host import SYSTEM, Actor, CaseContext, EngineHost
from engine.models import Case, CaseStatus, MessageWait
from engine.projection import context_of

# Cases that answer messages with messages could go on for ever in one transaction.
MAX_DELIVERIES = 200
_COUNT = "ykt_message_deliveries"


@dataclass
class Delivery:
    """What became of a message: the cases that caught it, the cases it started."""

    name: str
    key: str | None
    delivered: list[int] = field(default_factory=list)
    started: list[int] = field(default_factory=list)

    @property
    def nobody_waits(self) -> bool:
        return not self.delivered and not self.started

    def describe(self) -> str:
        key = f"（关联键 {self.key}）" if self.key else ""
        if self.delivered:
            ids = "、".join(f"#{i}" for i in self.delivered)
            return f"消息“{self.name}”{key}已送达 {len(self.delivered)} 个案件：{ids}"
        if self.started:
            ids = "、".join(f"#{i}" for i in self.started)
            return f"消息“{self.name}”{key}启动了案件 {ids}"
        return f"没有案件在等待消息“{self.name}”{key}，也没有流程由它启动"


def send(session: Session, host: EngineHost, case: Case, outgoing: list[BpmnEvent]) -> None:
    """Deliver what a case threw and did not catch itself; its history says where it went."""
    for event in outgoing:
        name, key = event.event_definition.name, event.correlations.get("key")
        done = deliver(
            session, host, name, key, event.payload, context=context_of(case), sender=case.id
        )
        cases.record_event(
            session,
            case.id,
            "message_sent",
            title=name,
            data=event.payload,
            message=done.describe(),
        )


def waiting_cases(session: Session, name: str, key: str | None) -> list[int]:
    keys = [""] if key is None else ["", key]
    return list(
        session.scalars(
            select(MessageWait.case_id)
            .where(MessageWait.name == name, or_(*(MessageWait.correlation_key == k for k in keys)))
            .group_by(MessageWait.case_id)
            .order_by(MessageWait.case_id)
        )
    )


def starting_definitions(session: Session, name: str) -> list[str]:
    """The processes (keys) whose latest version has a message start event for `name`."""
    found = []
    for key, _version in definitions.versions(session):
        latest = definitions.require_latest(session, key)
        if any(s.kind == "message" and s.message == name for s in starts.start_events(latest)):
            found.append(key)
    return found


def deliver(
    session: Session,
    host: EngineHost,
    name: str,
    key: str | None,
    payload: dict[str, Any],
    *,
    actor: Actor = SYSTEM,
    context: CaseContext | None = None,
    sender: int | None = None,
) -> Delivery:
    """Deliver one message (see the module). `context` is the business context of a case it
    starts (the sender's, or what the caller gave); `sender` is never delivered to."""
    count = session.info.get(_COUNT, 0) + 1
    session.info[_COUNT] = count
    if count > MAX_DELIVERIES:
        raise CaseFailed(
            sender, f"消息往复过多（一次操作中超过 {MAX_DELIVERIES} 条），已停止，请管理员核查流程"
        )
    result = Delivery(name, key)
    for case_id in waiting_cases(session, name, key):
        if case_id != sender and _deliver_to(session, host, case_id, name, key, payload, actor):
            result.delivered.append(case_id)
    if result.delivered:
        return result
    for process in starting_definitions(session, name):
        case = cases.start_case(
            session,
            host,
            process,
            data={},
            context=context or CaseContext(),
            actor=actor,
            trigger=starts.message_trigger(name, key, payload),
            how=f"由消息“{name}”启动",
        )
        result.started.append(case.id)
    return result


def _deliver_to(
    session: Session,
    host: EngineHost,
    case_id: int,
    name: str,
    key: str | None,
    payload: dict[str, Any],
    actor: Actor,
) -> bool:
    case: Case = case_locks.lock_case(session, case_id)
    if case.status not in (CaseStatus.RUNNING.value, CaseStatus.WAITING.value):
        return False
    workflow = cases.load(session, case)
    event = BpmnEvent(
        messages.CaseMessage(name, messages.Wiring()), payload=payload, correlations={"key": key}
    )
    with cases.running(case.id):
        caught = workflow.event_manager.catch(event, internal=False)
    if not caught:  # it moved on meanwhile (another delivery, a timer)
        return False
    cases.record_event(
        session,
        case.id,
        "message_received",
        actor,
        title=name,
        data=payload,
        message=f"关联键 {key}" if key else "",
    )
    cases.resume(session, host, case, workflow)
    return True
