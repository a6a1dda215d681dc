"""Our parser: SpiffWorkflow's CamundaParser with standard multi-instance, plain tasks that
run by themselves, and tasks in sub-processes that keep a lane of their own.

CamundaParser's multi-instance reads `camunda:collection` and decides at run time, by
changing the shared task spec, whether the cardinality is a number or a collection; specs are
parsed once and shared by every case of a version (engine.definitions), so that would let
one case change another's. Diagrams reach this parser normalised (engine.diagram): the
Camunda attributes are already written as the standard `loopDataInputRef` and
`inputDataItem`, which the base BPMN parser reads once, at parse time."""

from __future__ import annotations

from typing import Any, ClassVar

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import (
    CallActivity,
    ManualTask,
    NoneTask,
    ParallelMultiInstanceTask,
    ScriptTask,
    SequentialMultiInstanceTask,
    TransactionSubprocess,
)
from SpiffWorkflow.camunda.parser import task_spec as camunda
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.camunda.specs.user_task import UserTask

from engine.decisions import TableRun

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


class _LeavesItemBehind:
    """An instance's data is merged back into the multi-instance task when it completes; its
    element variable is not, so the same task can run again (a loop back, a second round)
    without SpiffWorkflow finding the variable already set."""

    input_item: Any
    data_output: Any

    def merge_child(self, workflow: Any, child: Any) -> None:
        if self.input_item is not None and self.data_output is None:
            child.data.pop(self.input_item.bpmn_id, None)
        super().merge_child(workflow, child)  # type: ignore[misc]


class ParallelInstances(_LeavesItemBehind, ParallelMultiInstanceTask):
    pass


class SequentialInstances(_LeavesItemBehind, SequentialMultiInstanceTask):
    pass


class _Standard:
    """Multi-instance as BPMN defines it, for every kind of activity."""

    PARALLEL_MI_CLASS = ParallelInstances
    SEQUENTIAL_MI_CLASS = SequentialInstances
    _add_multiinstance_task = TaskParser._add_multiinstance_task


class _UserTaskParser(_Standard, camunda.UserTaskParser):
    pass


class _TaskParser(_Standard, camunda.CamundaTaskParser):
    pass


class _ScriptTaskParser(_Standard, camunda.ScriptTaskParser):
    pass


class _SubWorkflowParser(_Standard, camunda.SubWorkflowParser):
    pass


class _CallActivityParser(_Standard, camunda.CallActivityParser):
    pass


class _BusinessRuleTaskParser(_Standard, camunda.BusinessRuleTaskParser):
    pass


class Parser(CamundaParser):
    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, tuple[type, type]]] = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (_UserTaskParser, UserTask),
        full_tag("task"): (_TaskParser, NoneTask),
        full_tag("manualTask"): (_TaskParser, ManualTask),
        full_tag("scriptTask"): (_ScriptTaskParser, ScriptTask),
        full_tag("subProcess"): (_SubWorkflowParser, CallActivity),
        full_tag("callActivity"): (_CallActivityParser, CallActivity),
        full_tag("transaction"): (_SubWorkflowParser, TransactionSubprocess),
        full_tag("businessRuleTask"): (_BusinessRuleTaskParser, BusinessRuleTask),
    }

    def get_engine(self, decision_ref: str, node: etree._Element) -> TableRun:
        """The decision table of a business rule task, decided as engine.decisions says."""
        table = super().get_engine(decision_ref, node).decision_table
        return TableRun(table)


def own_lanes(root: etree._Element) -> dict[str, str]:
    """The lane each flow node is listed in, by id."""
    lanes: dict[str, str] = {}
    for lane in root.iter(f"{{{BPMN}}}lane"):
        for ref in lane.iterfind(f"{{{BPMN}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or ""
    return lanes


def settle(
    roots: list[etree._Element],
    spec: BpmnProcessSpec,
    subprocess_specs: dict[str, BpmnProcessSpec],
) -> None:
    """What the parsed specs must say beyond what SpiffWorkflow makes of them. Specs are never
    serialized with a case (engine.spiff), so these settings hold for every case.

    - A plain task (`bpmn:task`) does nothing and so passes by itself; SpiffWorkflow makes it
      wait for a person, who would have nothing to do.
    - A task inside a sub-process that is listed in a lane of its own takes that lane;
      SpiffWorkflow gives every task in a sub-process the lane of the sub-process."""
    lanes = {bpmn_id: lane for root in roots for bpmn_id, lane in own_lanes(root).items()}
    for process in (spec, *subprocess_specs.values()):
        for task_spec in process.task_specs.values():
            if isinstance(task_spec, NoneTask):
                task_spec.manual = False
            own = lanes.get(getattr(task_spec, "bpmn_id", None) or "")
            if own:
                task_spec.lane = own
