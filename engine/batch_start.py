"""Starting many cases of one definition at once, e.g. the entries of an imported spreadsheet.

Starting a case runs SpiffWorkflow from the start event to the first wait. When nothing on
that way can depend on the case's data (a plain start event leading straight to user tasks:
no script, condition, timer, message or data mapping), every case arrives at the same place
with the same state apart from its data and its task ids. The workflow then runs once; its
serialized state becomes a template, and each case's state is the template with the case's
data and fresh task ids. Cases, their "started" events and their work items are inserted a
batch at a time. Any other diagram starts its cases one by one through `cases.start_case`,
with the same result.

Either way the caller gets each case's status and the work items it waits on, as stored:
what an import needs next (the entries' statuses, the notices) without reading back the
rows it has just written."""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from operator import itemgetter
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BpmnStartTask
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import bulk, clock
from engine import cases, definitions, projection, spiff
from engine.errors import ScriptRefused
from engine.host import Actor, CaseContext, EngineHost
from engine.models import Case, CaseEvent, CaseStatus, ProcessDefinition, WorkItem, WorkItemState

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# States a task may be in when the template is taken: predicted, waiting for a person, done.
_UNEVALUATED = TaskState.MAYBE | TaskState.LIKELY | TaskState.FUTURE


@dataclass(frozen=True)
class NewCase:
    data: Mapping[str, Any]
    context: CaseContext


@dataclass(frozen=True)
class NewWork:
    """An open work item of a case just started."""

    id: int
    bpmn_id: str
    title: str
    unit_id: int | None
    role: str
    due_at: datetime | None = None  # none for a case started from the template (no timers)


@dataclass(frozen=True)
class StartedCase:
    id: int
    status: str  # a CaseStatus value
    waiting_on: tuple[NewWork, ...]  # its open work items, in the order made


@dataclass(frozen=True)
class _ReadyTask:
    guid: str
    bpmn_id: str
    title: str
    form_key: str
    lane: str
    sees_case_data: bool  # the task's data is the case's data (else it is empty)


class _Slot(Enum):
    """The case's data in a state; a case's values are its task ids, then these in order."""

    DATA = "the case's data"
    KEYS = "the names in the case's data"  # predicted tasks list them as deleted


_SLOTS = tuple(_Slot)


@dataclass(frozen=True)
class _Template:
    """A serialized state as a %-format, with a field at every task id and every mention of
    the case's data, so that a case's state is one formatting done in C. Filled piece by
    piece in Python, with a uuid4() (a read of the random source) per task id, it took
    0.1 ms a case, 10 s of an import of 100,000 rows; now 0.04 ms."""

    layout: str  # the state with "%" doubled, "%s" at each field
    fields: tuple[int, ...]  # per field, the index of its value among the case's values
    task_ids: tuple[str, ...]  # the template's task ids, each once
    ready: list[_ReadyTask]
    status: CaseStatus

    # The fields' values, picked from the case's values in one call in C.
    pick: Callable[[list[str]], tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields = self.fields
        pick: Callable[[list[str]], tuple[str, ...]]
        if len(fields) > 1:
            pick = itemgetter(*fields)
        else:  # itemgetter of one index gives the value itself, not a tuple
            pick = lambda values: tuple(values[index] for index in fields)  # noqa: E731
        object.__setattr__(self, "pick", pick)

    def state_for(self, data: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
        """A case's serialized state and its task ids (template id → the case's id)."""
        fresh = new_task_ids(len(self.task_ids))
        filling = {_Slot.DATA: spiff.dump_data(data), _Slot.KEYS: json.dumps(list(data))}
        values = fresh + [filling[slot] for slot in _SLOTS]
        return self.layout % self.pick(values), dict(zip(self.task_ids, fresh, strict=True))


def new_task_ids(count: int) -> list[str]:
    """`count` random (version 4) UUIDs as text, from one read of the random source."""
    random = os.urandom(16 * count).hex()
    return [
        f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"
        for h in (random[start : start + 32] for start in range(0, 32 * count, 32))
    ]


# The RFC 4122 variant: the first two bits of the 17th hex digit are 10.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def start_cases(
    session: Session,
    host: EngineHost,
    key: str,
    new_cases: Sequence[NewCase],
    *,
    actor: Actor,
) -> list[StartedCase]:
    """Start a case of the latest version of `key` for each entry; returns them in order.
    Like `cases.start_case`, this only flushes: the caller's boundary commits."""
    if not new_cases:
        return []
    definition = definitions.require_latest(session, key)
    spec, subprocess_specs = definitions.specs_for(definition)
    template = _take_template(spiff.new_workflow(spec, subprocess_specs))
    if template is None:
        started = [
            cases.start_case(session, host, key, data=new.data, context=new.context, actor=actor)
            for new in new_cases
        ]
        return _as_stored(session, started)
    return _insert(session, host, definition, template, new_cases, actor)


def _as_stored(session: Session, started: list[Case]) -> list[StartedCase]:
    """Cases started one by one, with the work items they wait on read back (one query)."""
    waiting: dict[int, list[NewWork]] = {case.id: [] for case in started}
    # All the cases' items, the open ones picked here: asked for open items, PostgreSQL may
    # walk the index of every open item when its statistics predate this transaction.
    for item in session.scalars(
        select(WorkItem).where(WorkItem.case_id.in_(waiting)).order_by(WorkItem.id)
    ):
        if item.state == WorkItemState.OPEN.value:
            waiting[item.case_id].append(
                NewWork(item.id, item.bpmn_id, item.title, item.unit_id, item.role, item.due_at)
            )
    return [StartedCase(case.id, case.status, tuple(waiting[case.id])) for case in started]


def can_start_together(session: Session, key: str) -> bool:
    """Whether cases of the latest version of `key` start from one template (else one by
    one), for tests and for finding out why an import got slower after a diagram changed."""
    spec, subprocess_specs = definitions.specs_for(definitions.require_latest(session, key))
    return _take_template(spiff.new_workflow(spec, subprocess_specs)) is not None


def _insert(
    session: Session,
    host: EngineHost,
    definition: ProcessDefinition,
    template: _Template,
    new_cases: Sequence[NewCase],
    actor: Actor,
) -> list[StartedCase]:
    now = clock.now()
    states = [template.state_for(new.data) for new in new_cases]
    case_rows = [
        {
            "definition_id": definition.id,
            "status": template.status.value,
            "state": state,
            "serializer_version": spiff.SERIALIZER_VERSION,
            "lock_version": 1,
            "owning_unit_id": new.context.owning_unit_id,
            "responsible_unit_id": new.context.responsible_unit_id,
            "subject_type": new.context.subject_type,
            "subject_id": new.context.subject_id,
            "error_message": "",
            "started_by": actor.name[:64],
            "started_at": now,
            "updated_at": now,
        }
        for new, (state, _) in zip(new_cases, states, strict=True)
    ]
    case_ids = bulk.insert_returning_ids(session, Case, case_rows)
    message = definition.title
    bulk.insert_rows(
        session,
        CaseEvent,
        [
            cases.event_values(case_id, "started", actor, now, data=new.data, message=message)
            for case_id, new in zip(case_ids, new_cases, strict=True)
        ],
    )
    items: list[dict[str, Any]] = []
    for case_id, new, (_, ids) in zip(case_ids, new_cases, states, strict=True):
        for task in template.ready:
            assignment = host.assign(
                session, task.lane, new.context, new.data if task.sees_case_data else {}
            )
            items.append(
                {
                    "case_id": case_id,
                    "task_guid": ids[task.guid],
                    "bpmn_id": task.bpmn_id,
                    "title": task.title,
                    "form_key": task.form_key,
                    "lane": task.lane,
                    "unit_id": assignment.unit_id,
                    "role": assignment.role,
                    "state": WorkItemState.OPEN.value,
                    "created_at": now,
                }
            )
    item_ids = bulk.insert_returning_ids(session, WorkItem, items)
    work = [
        NewWork(item_id, item["bpmn_id"], item["title"], item["unit_id"], item["role"])
        for item_id, item in zip(item_ids, items, strict=True)
    ]
    each = len(template.ready)  # items per case, in the order of the cases
    return [
        StartedCase(case_id, template.status.value, tuple(work[n * each : (n + 1) * each]))
        for n, case_id in enumerate(case_ids)
    ]


def _take_template(workflow: BpmnWorkflow) -> _Template | None:
    """Run a workflow with marker data to its first wait; None unless the result is the
    same for every case apart from data and task ids."""
    name = f"ykt-case-data-{secrets.token_hex(8)}"
    marker = {name: name}
    workflow.task_tree.data.update(marker)
    try:
        workflow.refresh_timers()
        workflow.do_engine_steps()
    except (SpiffWorkflowException, ScriptRefused):
        return None  # starting one by one reports the failure for the first case
    if not _same_for_every_case(workflow, marker):
        return None
    state = spiff.dump_workflow(workflow)
    mentions = {spiff.dump_data(marker): _Slot.DATA, json.dumps([name]): _Slot.KEYS}
    # Every mention of the marker must be one of these, so replacing them is exact.
    accounted = sum(state.count(text) * text.count(name) for text in mentions)
    if state.count(name) != accounted:
        return None
    alternatives = "|".join([_UUID, *(re.escape(text) for text in mentions)])
    parts = re.split(f"({alternatives})", state)
    found = parts[1::2]
    task_ids = tuple(dict.fromkeys(text for text in found if text not in mentions))
    index = {task_id: n for n, task_id in enumerate(task_ids)}
    index |= {text: len(task_ids) + list(_Slot).index(slot) for text, slot in mentions.items()}
    layout = "%s".join(piece.replace("%", "%%") for piece in parts[0::2])
    ready = [
        _ReadyTask(
            guid=str(task.id),
            bpmn_id=task.task_spec.bpmn_id or "",
            title=(task.task_spec.bpmn_name or task.task_spec.bpmn_id or "")[:200],
            form_key=getattr(getattr(task.task_spec, "form", None), "key", None) or "",
            lane=projection.lane_of(task),
            sees_case_data=task.data == marker,
        )
        for task in workflow.get_tasks(state=TaskState.READY, manual=True)
    ]
    fields = tuple(index[text] for text in found)
    return _Template(layout, fields, task_ids, ready, cases.status_of(workflow))


def _same_for_every_case(workflow: BpmnWorkflow, marker: Mapping[str, Any]) -> bool:
    if workflow.is_completed() or workflow.data or workflow.subprocesses:
        return False
    if workflow.bpmn_events:
        return False
    for task in workflow.get_tasks():
        if task.data not in (marker, {}):
            return False  # something on the way wrote to the data
        if task.state & _UNEVALUATED:
            continue
        if task.state == TaskState.READY and task.task_spec.manual:
            continue
        if task.state == TaskState.COMPLETED and _inert(task):
            continue
        return False  # waiting for a timer or message, or a step that evaluated something
    return True


def _inert(task: Task) -> bool:
    """A completed step whose outcome cannot depend on data: the start of the process."""
    spec = task.task_spec
    if isinstance(spec, StartEvent):
        if not isinstance(spec.event_definition, NoneEventDefinition):
            return False
    elif not isinstance(spec, BpmnStartTask):
        return False
    return not any(
        getattr(spec, name, None)
        for name in (
            "prescript",
            "postscript",
            "io_specification",
            "data_input_associations",
            "data_output_associations",
        )
    )
