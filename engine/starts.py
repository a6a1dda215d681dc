"""How a process can be started: by a person (a plain start event, in a lane, with a form),
by a message (a message start event) or on schedule (a timer start event).

A started case runs to its start events; the one the start came through fires
(`message_trigger`, `timer_trigger`), and the start events of the other ways of starting that
still wait are cancelled (`settle`), so a case never waits at its own start."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from engine import definitions, messages, spiff
from engine.models import ProcessDefinition

Trigger = Callable[[BpmnWorkflow], int]


@dataclass(frozen=True)
class StartEvent:
    """One start event of a process's main flow."""

    bpmn_id: str
    name: str
    kind: str  # "none", "message", "timer" or "other"
    lane: str = ""
    form_key: str = ""
    message: str = ""
    timer: str = ""  # the timer's expression as written
    timer_kind: str = ""  # "date", "duration" or "cycle"


def _kind_of_timer(definition: TimerEventDefinition) -> str:
    if isinstance(definition, CycleTimerEventDefinition):
        return "cycle"
    if isinstance(definition, DurationTimerEventDefinition):
        return "duration"
    return "date"


_CACHE: dict[tuple[int, str], list[StartEvent]] = {}


def start_events(definition: ProcessDefinition) -> list[StartEvent]:
    """The start events of a stored version (versions never change: read once)."""
    cached = _CACHE.get((definition.id, definition.sha256))
    if cached is None:
        cached = _read_start_events(definition)
        _CACHE[(definition.id, definition.sha256)] = cached
    return cached


def _read_start_events(definition: ProcessDefinition) -> list[StartEvent]:
    spec, _ = definitions.specs_for(definition)
    found = []
    for task_spec in spec.start.outputs:
        event = getattr(task_spec, "event_definition", None)
        common = {
            "bpmn_id": task_spec.bpmn_id or "",
            "name": task_spec.bpmn_name or "",
            "lane": getattr(task_spec, "lane", None) or "",
        }
        if isinstance(event, NoneEventDefinition):
            form_key = _form_key(definition, task_spec.bpmn_id)
            found.append(StartEvent(kind="none", form_key=form_key, **common))
        elif isinstance(event, messages.CaseMessage):
            found.append(StartEvent(kind="message", message=event.name, **common))
        elif isinstance(event, TimerEventDefinition):
            found.append(
                StartEvent(
                    kind="timer", timer=event.expression, timer_kind=_kind_of_timer(event), **common
                )
            )
        else:
            found.append(StartEvent(kind="other", **common))
    return found


def _form_key(definition: ProcessDefinition, bpmn_id: str | None) -> str:
    """camunda:formKey of a start event (SpiffWorkflow keeps it only for user tasks)."""
    from engine.xmlsafe import parse_bpmn

    root = parse_bpmn(definition.bpmn_xml).getroot()
    for element in root.iterfind(f".//{{{messages.BPMN}}}startEvent"):
        if element.get("id") == bpmn_id:
            return element.get(f"{{{messages.CAMUNDA}}}formKey", "") or ""
    return ""


def _waiting_starts(workflow: BpmnWorkflow) -> list[Task]:
    return [
        t
        for t in spiff.tasks_in(workflow, TaskState.WAITING)
        if t.parent is not None and t.parent.task_spec.name == "Start"
    ]


def message_trigger(name: str, key: str | None, payload: dict[str, Any]) -> Trigger:
    """Fires the message start event that catches this message."""

    def fire(workflow: BpmnWorkflow) -> int:
        event = BpmnEvent(
            messages.CaseMessage(name, messages.Wiring()),
            payload=payload,
            correlations={"key": key},
        )
        starts = [
            t
            for t in _waiting_starts(workflow)
            if any(m.name == name for m in messages.messages_of(t.task_spec.event_definition))
        ]
        for task in starts:
            task.task_spec.catch(task, event)
            task.task_spec._update(task)
        return len(starts)

    return fire


def timer_trigger(workflow: BpmnWorkflow) -> int:
    """Fires the timer start events: the scheduler decided that their time has come."""
    starts = [
        t
        for t in _waiting_starts(workflow)
        if isinstance(t.task_spec.event_definition, TimerEventDefinition)
    ]
    for task in starts:
        if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
            # A cycle makes its flow anew on each round (SpiffWorkflow adds the children when
            # a round comes); here the case is the round, so its flow is made once.
            for output in task.task_spec.outputs:
                child = task._add_child(output, TaskState.FUTURE)
                child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
        task._set_internal_data(event_fired=True)
        task.task_spec._update(task)
    return len(starts)


def settle(workflow: BpmnWorkflow) -> None:
    """Cancel the start events still waiting once the case has started another way."""
    for task in _waiting_starts(workflow):
        task.cancel()


# Timer start events: when is the next case due?


def _timer_text(expression: str) -> str | None:
    """The ISO 8601 text of a timer start event: a quoted literal, or the text as written
    (R3/PT1H, 2026-01-01T08:00). A timer start has no case data to compute it from."""
    try:
        value = ast.literal_eval(expression.strip())
    except (ValueError, SyntaxError):
        value = expression.strip()
    return value if isinstance(value, str) and value else None


def latest_due(start: StartEvent, deployed_at: datetime, now: datetime) -> datetime | None:
    """The latest due time of a timer start event that is not after now, or None. Dates are
    due at that date, durations that long after the version was deployed, cycles
    (R[n]/[start/]duration) at start + k·duration (start defaults to one duration after the
    deployment). Missed due times are not made up: the latest one starts one case."""
    text = _timer_text(start.timer)
    if text is None:
        return None
    try:
        if start.timer_kind == "date":
            due = TimerEventDefinition.get_datetime(text)
            return due if due <= now else None
        if start.timer_kind == "duration":
            parsed = TimerEventDefinition.parse_iso_duration(text)
            due = deployed_at + TimerEventDefinition.get_timedelta_from_start(parsed, deployed_at)
            return due if due <= now else None
        return _latest_in_cycle(text, deployed_at, now)
    except Exception:  # SpiffWorkflow raises bare Exception for ISO text it cannot read
        return None


def _latest_in_cycle(text: str, deployed_at: datetime, now: datetime) -> datetime | None:
    parts = text.upper().strip("R").split("/")
    cycles = int(parts[0]) if parts[0] else -1
    if len(parts) == 3:
        first = TimerEventDefinition.get_datetime(parts[1])
        parsed = TimerEventDefinition.parse_iso_duration(parts[2])
        period = TimerEventDefinition.get_timedelta_from_start(parsed, first)
    else:
        parsed = TimerEventDefinition.parse_iso_duration(parts[1])
        period = TimerEventDefinition.get_timedelta_from_start(parsed, deployed_at)
        first = deployed_at + period
    if period <= timedelta(0) or first > now or cycles == 0:
        return None
    rounds = int((now - first) / period)
    if cycles > 0:
        rounds = min(rounds, cycles - 1)
    due: datetime = first + rounds * period
    return due


def timer_starts(session: Session) -> list[tuple[ProcessDefinition, StartEvent]]:
    """The timer start event of the latest version of every process that has one."""
    found = []
    for key, _version in definitions.versions(session):
        definition = definitions.require_latest(session, key)
        for start in start_events(definition):
            if start.kind == "timer":
                found.append((definition, start))
    return found
