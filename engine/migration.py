"""Moving running cases to a newer version of their process definition.

A preview says, per case, what would change; a move is refused when it is unsafe: when any
task of the case (done or not) belongs to an element the new version no longer has (its
history could not be read back), or when a subprocess it is inside has gone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.errors import Conflict
from engine import case_locks, cases, definitions, spiff
from engine.host import Actor, EngineHost
from engine.models import Case, CaseStatus, ProcessDefinition

ACTIVE = (CaseStatus.RUNNING.value, CaseStatus.WAITING.value, CaseStatus.ERROR.value)


class MigrationRefused(Conflict):
    pass


@dataclass
class CasePreview:
    case_id: int
    from_version: int
    to_version: int
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)

    @property
    def safe(self) -> bool:
        return not self.blockers


@dataclass
class _Plan:
    preview: CasePreview
    workflow: spiff.BpmnWorkflow
    top: Any
    sub_diffs: dict[Any, Any]
    spec: spiff.BpmnProcessSpec
    subprocess_specs: dict[str, spiff.BpmnProcessSpec]


def _plan(session: Session, case: Case, target: ProcessDefinition) -> _Plan:
    workflow = cases.load(session, case)
    spec, subprocess_specs = definitions.specs_for(target)
    top, sub_diffs = diff_workflow(spiff.SERIALIZER.registry, workflow, spec, subprocess_specs)
    preview = CasePreview(case.id, case.definition.version, target.version)
    preview.changed = sorted({t.task_spec.bpmn_id or t.task_spec.name for t in top.changed})
    preview.removed = sorted({t.task_spec.bpmn_id or t.task_spec.name for t in top.removed})
    preview.added = sorted(
        {s.bpmn_id for s in spec.task_specs.values() if s.bpmn_id}
        - {s.bpmn_id for s in workflow.spec.task_specs.values() if s.bpmn_id}
    )
    if preview.removed:
        preview.blockers.append(
            "新版本删除了本案件已经过或正在办理的环节：" + "、".join(preview.removed)
        )
    for sub_diff in sub_diffs.values():
        if sub_diff is None:
            preview.blockers.append("本案件所在的子流程在新版本中已不存在")
        elif sub_diff.removed:
            preview.blockers.append("新版本删除了子流程中的环节")
    return _Plan(preview, workflow, top, sub_diffs, spec, subprocess_specs)


def preview(session: Session, key: str, to_version: int | None = None) -> list[CasePreview]:
    """What moving each active case of older versions to the target version would do."""
    target = _target(session, key, to_version)
    older = session.scalars(
        select(Case)
        .join(Case.definition)
        .where(
            ProcessDefinition.key == key,
            ProcessDefinition.version < target.version,
            Case.status.in_(ACTIVE),
        )
        .order_by(Case.id)
    )
    return [_plan(session, case, target).preview for case in older]


def _target(session: Session, key: str, version: int | None) -> ProcessDefinition:
    if version is None:
        return definitions.require_latest(session, key)
    found = session.scalars(
        select(ProcessDefinition).where(
            ProcessDefinition.key == key, ProcessDefinition.version == version
        )
    ).first()
    if found is None:
        raise MigrationRefused(f"流程定义不存在：{key} v{version}")
    return found


def migrate(
    session: Session, host: EngineHost, case_id: int, *, to_version: int | None, actor: Actor
) -> CasePreview:
    case = case_locks.lock_case(session, case_id)
    target = _target(session, case.definition.key, to_version)
    if target.version <= case.definition.version:
        raise MigrationRefused(f"案件已在 v{case.definition.version}，无需迁移到 v{target.version}")
    if case.status not in ACTIVE:
        raise MigrationRefused("已结束的案件不能迁移")
    plan = _plan(session, case, target)
    result, workflow = plan.preview, plan.workflow
    if not result.safe:
        raise MigrationRefused("；".join(result.blockers))
    migrate_workflow(plan.top, workflow, plan.spec)
    for sub_id, sub_diff in plan.sub_diffs.items():
        sub = workflow.subprocesses[sub_id]
        migrate_workflow(sub_diff, sub, plan.subprocess_specs[sub.spec.name])
    workflow.subprocess_specs = plan.subprocess_specs
    from_label = case.definition.title
    case.definition_id, case.definition = target.id, target
    case.status = CaseStatus.RUNNING.value if case.status == CaseStatus.ERROR.value else case.status
    case.error_message = ""
    cases.record_event(
        session,
        case.id,
        "migrated",
        actor,
        message=f"{from_label} → {target.title}",
        data={"changed": result.changed, "added": result.added},
    )
    cases.resume(session, host, case, workflow)
    case.updated_at = clock.now()
    return result
