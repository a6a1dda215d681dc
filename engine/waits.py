"""What a case waits for: messages (projected into `case_message_wait`, so deliveries find
cases by name and key), timers (their due times) and signals, for its page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from core import clock
from engine import deadline_marks, messages, spiff
from engine.models import Case, MessageWait

KIND_LABELS = {"message": "消息", "timer": "定时器", "signal": "信号"}


@dataclass(frozen=True)
class Wait:
    """One thing a waiting task of a case waits for."""

    kind: str  # "message", "timer" or "signal"
    bpmn_id: str
    title: str
    name: str = ""  # the message's or signal's name
    key: str | None = None  # the message's key
    due_at: datetime | None = None  # the timer's

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind, "step": self.bpmn_id, "title": self.title}
        if self.kind == "message":
            out |= {"message": self.name, "key": self.key}
        elif self.kind == "signal":
            out["signal"] = self.name
        else:
            out["due_at"] = self.due_at.isoformat() if self.due_at else None
        return out


def _is_start(task: Task) -> bool:
    return task.parent is not None and task.parent.task_spec.name == "Start"


def _definitions(task: Task) -> list[object]:
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition] if definition is not None else []


def message_waits(workflow: BpmnWorkflow) -> list[tuple[Task, messages.CaseMessage]]:
    """The waiting tasks that catch a message, with the message (start events excepted: a
    case that runs has already started)."""
    found = []
    for task in spiff.tasks_in(workflow, TaskState.WAITING):
        if _is_start(task):
            continue
        for definition in _definitions(task):
            for message in messages.messages_of(definition):
                found.append((task, message))
    return found


_CASE_WAITS = select(MessageWait).where(MessageWait.case_id == bindparam("case_id"))
BATCH_WAITS = select(MessageWait).where(
    MessageWait.case_id.in_(bindparam("case_ids", expanding=True))
)


def store(
    session: Session, case: Case, workflow: BpmnWorkflow, rows: list[MessageWait] | None = None
) -> None:
    """Bring the case's message waits in line with its workflow (same transaction); `rows`
    are its stored waits when the caller read them already."""
    wanted: dict[tuple[str, str], MessageWait] = {}
    for task, message in message_waits(workflow):
        key = message.key_of(task)
        wanted[(str(task.id), message.name)] = MessageWait(
            case_id=case.id,
            task_guid=str(task.id),
            bpmn_id=(message.wiring.bpmn_id or task.task_spec.bpmn_id or "")[:100],
            name=message.name[:200],
            correlation_key=key or "",
        )
    existing = (
        rows if rows is not None else list(session.scalars(_CASE_WAITS, {"case_id": case.id}))
    )
    have = {(row.task_guid, row.name): row for row in existing}
    for identity, row in have.items():
        if identity not in wanted:
            session.delete(row)
        else:
            row.correlation_key = wanted[identity].correlation_key
    for identity, row in wanted.items():
        if identity not in have:
            session.add(row)


def forget(session: Session, case: Case) -> None:
    session.execute(delete(MessageWait).where(MessageWait.case_id == case.id))


def _title(task: Task) -> str:
    return task.task_spec.bpmn_name or task.task_spec.bpmn_id or ""


def _titles(task: Task) -> dict[str, str]:
    """The names of the elements that follow a task (an event-based gateway's branches)."""
    return {s.bpmn_id: s.bpmn_name or s.bpmn_id for s in task.task_spec.outputs if s.bpmn_id}


def of_workflow(workflow: BpmnWorkflow) -> list[Wait]:
    """Everything the workflow's waiting tasks wait for, read from the workflow."""
    from engine import projection  # projection imports this module

    found: list[Wait] = []
    now = clock.now()
    for task, message in message_waits(workflow):
        element = message.wiring.bpmn_id or task.task_spec.bpmn_id or ""
        title = _titles(task).get(element, _title(task))
        found.append(Wait("message", element, title, message.name, message.key_of(task)))
    for task in spiff.tasks_in(workflow, TaskState.WAITING):
        for definition in _definitions(task):
            if isinstance(definition, SignalEventDefinition):
                found.append(
                    Wait("signal", task.task_spec.bpmn_id or "", _title(task), definition.name)
                )
            elif isinstance(definition, TimerEventDefinition):
                due = projection.timer_due(task)
                if due is not None and due <= now and deadline_marks.only_marks(task):
                    continue  # a deadline mark past due waits for nothing: it is recorded
                found.append(Wait("timer", task.task_spec.bpmn_id or "", _title(task), due_at=due))
    return found


def describe(wait: Wait) -> str:
    """One line for people: 等待消息“X”（关联键 K）, 等待定时器（到期 …）, 等待信号“S”."""
    if wait.kind == "message":
        key = f"（关联键 {wait.key}）" if wait.key else ""
        return f"等待消息“{wait.name}”{key}"
    if wait.kind == "signal":
        return f"等待信号“{wait.name}”"
    if wait.due_at is None:
        return "等待定时器"
    return f"等待定时器（{wait.due_at.astimezone(clock.LOCAL_TZ):%Y-%m-%d %H:%M} 到期）"
