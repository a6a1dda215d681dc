"""Running cases: start, complete a task, fire due timers, mark an error.

Every function here takes the caller's session and only flushes; the caller's boundary
commits. Whatever goes wrong while a case runs (SpiffWorkflow, a script, the host's answer
about a lane) raises CaseFailed; the boundary rolls back and its runner (engine.runner) marks
the case in error in a transaction of its own. After every change the host hears of it
(`EngineHost.case_changed`), so the record a case serves follows it on every path."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core import clock, sent_later
from engine import deadline_marks, definitions, messages, projection, spiff, starts, workflow_cache
from engine.case_locks import lock_case, locked_item_and_open
from engine.errors import CaseFailed, NotAllowed, TaskConflict
from engine.failures import running
from engine.host import SYSTEM, Actor, Assignment, CaseContext, EngineHost
from engine.models import Case, CaseEvent, CaseStatus, WorkItem, WorkItemState


def event_values(
    case_id: int,
    kind: str,
    actor: Actor,
    at: datetime,
    *,
    bpmn_id: str = "",
    title: str = "",
    data: Mapping[str, Any] | None = None,
    message: str = "",
) -> dict[str, Any]:
    """The columns of a case event."""
    return {
        "case_id": case_id,
        "at": at,
        "kind": kind,
        "actor_id": actor.id,
        "actor_name": actor.name[:64],
        "bpmn_id": bpmn_id,
        "title": title[:200],
        "data": json.dumps(data, ensure_ascii=False, default=str) if data else "",
        "message": message,
    }


def record_event(
    session: Session,
    case_id: int,
    kind: str,
    actor: Actor = SYSTEM,
    *,
    bpmn_id: str = "",
    title: str = "",
    data: Mapping[str, Any] | None = None,
    message: str = "",
) -> None:
    values = event_values(
        case_id, kind, actor, clock.now(), bpmn_id=bpmn_id, title=title, data=data, message=message
    )
    # Nobody reads the event back in the step that wrote it: it goes with the next statement.
    sent_later.write_later(session, _INSERT_EVENT, values)


_INSERT_EVENT = insert(CaseEvent.__table__).inline()  # type: ignore[arg-type]


def _fired_timers(workflow: BpmnWorkflow) -> dict[str, Task]:
    return {
        str(t.id): t
        for t in spiff.tasks_in(workflow, TaskState.COMPLETED)
        if projection.is_timer(t)
    }


def step(workflow: BpmnWorkflow, case_id: int) -> list[Task]:
    """Run the engine until it waits; the timers that fired on the way."""
    fired_before = _fired_timers(workflow)
    workflow.refresh_timers()
    workflow.do_engine_steps()
    if (tasks := spiff.task_count(workflow)) > spiff.MAX_TASKS:
        raise CaseFailed(
            case_id,
            f"流程往复次数过多（已有 {tasks} 个步骤记录，上限 {spiff.MAX_TASKS}），"
            "为防止流程状态出错已停止运行，请管理员核查此案件",
        )
    return [t for guid, t in _fired_timers(workflow).items() if guid not in fired_before]


def record_fired(
    session: Session, case_id: int, fired: list[Task], marked: set[str] | None = None
) -> int:
    """The timers that fired into the history, but those the sweep marked (deadline_marks)."""
    if fired and marked is None:
        marked = deadline_marks.marked_guids(session, case_id)
    fresh = [t for t in fired if str(t.id) not in (marked or set())]
    for task in fresh:
        spec = task.task_spec
        title = spec.bpmn_name or "定时器"
        record_event(session, case_id, "timer_fired", bpmn_id=spec.bpmn_id or "", title=title)
    return len(fresh)


def _advance(session: Session, workflow: BpmnWorkflow, case_id: int) -> int:
    return record_fired(session, case_id, step(workflow, case_id))


def status_of(workflow: BpmnWorkflow) -> CaseStatus:
    if workflow.is_completed():
        return CaseStatus.COMPLETED
    if spiff.tasks_in(workflow, TaskState.READY, manual=True):
        return CaseStatus.RUNNING
    return CaseStatus.WAITING


def stage(
    session: Session,
    host: EngineHost,
    case: Case,
    workflow: BpmnWorkflow,
    known: projection.Known | None = None,
) -> list[BpmnEvent]:
    """Put the workflow's state and projection into the session, unflushed; the messages
    that go to other cases once it is stored."""
    now = clock.now()
    outgoing = messages.outgoing(workflow.get_events())
    state = spiff.dump_workflow(workflow)
    status = status_of(workflow).value
    stored: dict[str, Any] = {
        "state": state,
        "serializer_version": spiff.SERIALIZER_VERSION,
        "status": status,
        "updated_at": now,
    }
    if status == CaseStatus.COMPLETED.value:
        stored["completed_at"] = now
    # The case is locked (or just inserted), so its row goes with the next statement.
    sent_later.set_later(session, case, stored)
    workflow_cache.keep(case, state, workflow)
    with session.no_autoflush:
        projection.project(session, host, case, workflow, known)
    return outgoing


def settle(session: Session, host: EngineHost, case: Case, outgoing: list[BpmnEvent]) -> None:
    """After the state is flushed: a completed case forgets its waits, the host hears of the
    change, and outgoing messages go to their cases."""
    if case.status == CaseStatus.COMPLETED.value:
        projection.forget(session, case)
        record_event(session, case.id, "completed")
        session.flush()
    host.case_changed(session, case)
    if outgoing:
        from engine import delivery  # delivery runs other cases through this module

        delivery.send(session, host, case, outgoing)


def _save(
    session: Session,
    host: EngineHost,
    case: Case,
    workflow: BpmnWorkflow,
    known: projection.Known | None = None,
) -> None:
    outgoing = stage(session, host, case, workflow, known)
    try:
        session.flush()  # the projection's new tasks (stage wrote the case's row)
    except StaleDataError:
        raise TaskConflict("该案件刚被他人更新，请刷新后重试") from None
    settle(session, host, case, outgoing)


def start_case(
    session: Session,
    host: EngineHost,
    key: str,
    *,
    data: Mapping[str, Any],
    context: CaseContext,
    actor: Actor,
    trigger: Callable[[BpmnWorkflow], int] | None = None,
    how: str = "",
) -> Case:
    """Start a case of the latest version. `trigger` fires the start event a message or the
    scheduler starts it through (engine.starts); the other start events that still wait are
    cancelled. `how` says so in the case's history."""
    definition = definitions.require_latest(session, key)
    spec, subprocess_specs = definitions.specs_for(definition)
    with running(None):
        workflow = spiff.new_workflow(spec, subprocess_specs)
    workflow.task_tree.data.update(data)
    case = Case(
        definition_id=definition.id,
        definition=definition,
        status=CaseStatus.RUNNING.value,
        state=spiff.dump_workflow(workflow),
        serializer_version=spiff.SERIALIZER_VERSION,
        owning_unit_id=context.owning_unit_id,
        responsible_unit_id=context.responsible_unit_id,
        subject_type=context.subject_type,
        subject_id=context.subject_id,
        started_by=actor.name[:64],
        started_at=clock.now(),
    )
    session.add(case)
    session.flush()
    record_event(
        session,
        case.id,
        "started",
        actor,
        data=data,
        message=f"{definition.title}{how}",
    )
    with running(case.id):
        _advance(session, workflow, case.id)
        if trigger is not None and trigger(workflow):
            _advance(session, workflow, case.id)
        starts.settle(workflow)
        _save(session, host, case, workflow)
    return case


def resume(session: Session, host: EngineHost, case: Case, workflow: BpmnWorkflow) -> None:
    """Run a workflow that was changed from outside (e.g. migrated) and store it."""
    with running(case.id):
        _advance(session, workflow, case.id)
        _save(session, host, case, workflow)


def load(session: Session, case: Case) -> BpmnWorkflow:
    """The case's workflow: the one this process stored last when the row still holds its
    state (engine.workflow_cache), otherwise restored from the row."""
    kept = workflow_cache.take(case)
    return kept if kept is not None else restored(session, case)


def restored(session: Session, case: Case) -> BpmnWorkflow:
    """The case's workflow restored from its row. A reader that changes nothing (the case
    page's waits) calls it rather than `load`, so the workflow this process kept for the
    case's next step stays kept."""
    spec, subprocess_specs = definitions.specs_for(case.definition)
    with running(case.id):
        return spiff.load_workflow(case.state, spec, subprocess_specs)


def check_can_act(session: Session, host: EngineHost, item: WorkItem, actor: Actor) -> None:
    if item.state != WorkItemState.OPEN.value:
        raise TaskConflict("该任务已办理完毕，无需再次提交")
    if not host.may_act(session, actor, Assignment(item.unit_id, item.role)):
        raise NotAllowed("您无权办理此任务")
    if item.claimed_by is not None and item.claimed_by != actor.id:
        raise TaskConflict("该任务已被他人认领")


@dataclass(frozen=True)
class Completion:
    """What a completion did: the case after it, the task, and the clean data it wrote."""

    case: Case
    item: WorkItem
    data: dict[str, Any]


def complete_task(
    session: Session, host: EngineHost, work_item_id: int, data: Mapping[str, Any], actor: Actor
) -> Completion:
    item, case, open_items, timers, *_ = locked_item_and_open(
        session, work_item_id, with_record=host.read_with_tasks
    )
    check_can_act(session, host, item, actor)
    workflow = load(session, case)
    known = projection.Known.before_step(case, workflow, open_items, timers)
    task = workflow.get_task_from_id(UUID(item.task_guid))
    if task is None or task.state != TaskState.READY:
        raise TaskConflict("该任务已不在待办状态，请刷新")
    # A task without a form (a manual task) is completed by confirming it: it carries no data.
    cleaned = (
        host.clean_submission(session, item.form_key, data, projection.context_of(case))
        if item.form_key
        else {}
    )
    host.check_completion(session, item, actor, cleaned)
    task.data.update(cleaned)
    with running(case.id):
        task.run()
    # The case is locked: the finished task's row goes with the next statement.
    done = {"state": WorkItemState.COMPLETED.value, "completed_by": actor.id}
    sent_later.set_later(session, item, {**done, "completed_at": clock.now()})
    record_event(
        session,
        case.id,
        "task_completed",
        actor,
        bpmn_id=item.bpmn_id,
        title=item.title,
        data=cleaned,
    )
    with running(case.id):
        _advance(session, workflow, case.id)
        _save(session, host, case, workflow, known)
    return Completion(case, item, cleaned)


def fire_due_timers(session: Session, host: EngineHost, case_id: int) -> int:
    """Let a case's due timers fire; returns how many fired."""
    case = lock_case(session, case_id)
    if case.status not in (CaseStatus.RUNNING.value, CaseStatus.WAITING.value):
        projection.forget(session, case)
        return 0
    workflow = load(session, case)
    now = clock.now()
    with running(case.id):
        if not projection.has_due_timer(workflow, now):
            projection.project(session, host, case, workflow)  # repairs a stale timer row
            return 0
        fired = _advance(session, workflow, case.id)
        _save(session, host, case, workflow)
    return fired


def mark_error(
    session: Session, host: EngineHost, case_id: int, message: str, actor: Actor = SYSTEM
) -> None:
    case = lock_case(session, case_id)
    case.status = CaseStatus.ERROR.value
    case.error_message = message
    case.updated_at = clock.now()
    record_event(session, case.id, "error", actor, message=message)
    session.flush()
    host.case_changed(session, case)


def history(session: Session, case_id: int) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )
