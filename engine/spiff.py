"""Where SpiffWorkflow is configured: parser, serializer, script engine and clock.

Everything SpiffWorkflow-specific that is not about one case lives here, so the rest of
engine/ reads as our own vocabulary."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions import timer as timer_module
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskIterator, TaskState

from core import clock
from engine import messages, sandbox, spiff_parser, task_dumps, task_walks
from engine.task_walks import CaseWorkflow

__all__ = ["SERIALIZER_VERSION", "BpmnProcessSpec", "BpmnWorkflow", "TaskState"]


class _ClockDatetime(datetime):
    """SpiffWorkflow's timer module asks `datetime.now()` directly; answer from our clock so
    that timers obey the product's time (and tests that move it)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _ClockDatetime:
        current = clock.now() if tz is None else clock.now().astimezone(tz)
        return cls.fromtimestamp(current.timestamp(), tz=current.tzinfo)


timer_module.datetime = _ClockDatetime
# Timer values without a zone are read as Beijing time, not the server's zone.
timer_module.LOCALTZ = clock.LOCAL_TZ


# Every round of a loop (a send-back, a re-review) adds its tasks below the last ones, so a
# case's task tree deepens by a few levels a round. SpiffWorkflow stops its tree walks at
# depth 1,000 (about 250 rounds): beyond that it no longer sees the open tasks and takes the
# case for completed. It also walks up the tree recursively, which hit Python's recursion
# limit at the same depth. The walks here go deeper, and up the tree by loops; the engine
# refuses to run a case past MAX_TASKS tasks with a clear error instead (cases._advance).
# A tree is never deeper than it has tasks, so the walks always see the whole of it.
MAX_TASKS = 8_000
TREE_WALK_DEPTH = task_walks.TREE_WALK_DEPTH


def _walk_deeper(iterator: type) -> None:
    init: Any = vars(iterator)["__init__"]
    names = init.__code__.co_varnames[1 : init.__code__.co_argcount]
    defaults = list(init.__defaults__)
    defaults[names.index("max_depth") - (len(names) - len(defaults))] = TREE_WALK_DEPTH
    init.__defaults__ = tuple(defaults)


_walk_deeper(TaskIterator)
_walk_deeper(BpmnTaskIterator)


def _is_descendant_of(self: Task, task: Task) -> bool:
    node = self.parent
    while node is not None:
        if node == task:
            return True
        node = node.parent
    return False


def _find_ancestor(self: Task, spec_name: str) -> Task | None:
    node = self.parent
    while node is not None:
        if node.task_spec.name == spec_name:
            return node
        node = node.parent
    return None


Task.is_descendant_of = _is_descendant_of
Task.find_ancestor = _find_ancestor


def task_count(workflow: BpmnWorkflow) -> int:
    """How many tasks the workflow holds, its subprocesses' included."""
    return len(workflow.tasks) + sum(len(sub.tasks) for sub in workflow.subprocesses.values())


def tasks_in(workflow: BpmnWorkflow, state: int, *, manual: bool | None = None) -> list[Task]:
    """The tasks in a state (a TaskState mask), subprocesses' included, in the order they were
    made. The same tasks `workflow.get_tasks(state=…, manual=…)` finds, read from the task maps
    SpiffWorkflow keeps instead of walking the tree, which deepens with every round a case
    goes and was a tenth of a completion's time."""
    return [
        task
        for tasks in (workflow.tasks, *(sub.tasks for sub in workflow.subprocesses.values()))
        for task in tasks.values()
        if task.state & state and (manual is None or task.task_spec.manual == manual)
    ]


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def evaluate(
        self,
        expression: str,
        context: Mapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> Any:
        return sandbox.evaluate(expression, context, external_context)

    def execute(
        self,
        script: str,
        context: dict[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> bool:
        sandbox.execute(script, context, external_context)
        return True

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        raise sandbox.ScriptRefused("不支持服务任务")


def loop_counters(task: Task) -> dict[str, int]:
    """What an expression inside a multi-instance activity may read of the loop, under the
    names the BPMN standard (and Camunda) gives them: nrOfInstances, nrOfCompletedInstances,
    nrOfActiveInstances and loopCounter (this instance's index, from 0)."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, MultiInstanceTask):
        return {}
    instances = [c for c in parent.children if c.task_spec.name == parent.task_spec.task_spec]
    merged = len(parent.internal_data.get("merged", []))
    remaining = len(parent.internal_data.get("remaining", []))
    cardinality = parent.internal_data.get("cardinality")
    total = cardinality if isinstance(cardinality, int) else len(instances) + remaining
    active = sum(1 for c in instances if not c.has_state(TaskState.FINISHED_MASK))
    index = task.internal_data.get("key_or_index")
    if not isinstance(index, int):
        item = task.internal_data.get("item")
        index = item if isinstance(item, int) else instances.index(task) if task in instances else 0
    return {
        "nrOfInstances": total,
        "nrOfCompletedInstances": merged,
        "nrOfActiveInstances": active,
        "loopCounter": index,
    }


class _ScriptEngine(PythonScriptEngine):
    def evaluate(
        self, task: Task, expression: str, external_context: Mapping[str, Any] | None = None
    ) -> Any:
        counters = loop_counters(task)
        if counters:
            external_context = {**counters, **(external_context or {})}
        return super().evaluate(task, expression, external_context)


SCRIPT_ENGINE = _ScriptEngine(environment=SandboxEnvironment())


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its spec; restores it onto a spec the caller supplies
    (parsed once per definition version and cached), instead of rebuilding it every time.
    Restores a CaseWorkflow, stored under the library's own name (engine.task_walks)."""

    def __init__(self, target_class: type, registry: Any, typename: str | None = None) -> None:
        super().__init__(target_class, registry, typename)
        registry.register(CaseWorkflow, self.to_dict, self.from_dict, self.typename)

    def mapping_to_dict(self, mapping: Mapping[Any, Any], **kwargs: Any) -> dict[str, Any]:
        if kwargs:
            return dict(super().mapping_to_dict(mapping, **kwargs))
        return task_dumps.mapping_to_dict(mapping, self.registry.convert)

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(
        self,
        dct: dict[str, Any],
        spec: BpmnProcessSpec | None = None,
        subprocess_specs: dict[str, BpmnProcessSpec] | None = None,
    ) -> BpmnWorkflow:
        if spec is None:
            raise ValueError("a workflow is restored onto a cached spec")
        from uuid import UUID

        workflow = CaseWorkflow(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    config[Task] = task_dumps.KeptTaskConverter
    config[messages.CaseMessage] = messages.CaseMessageConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


SERIALIZER = _make_serializer()
VALIDATOR = BpmnValidator()


def new_parser() -> spiff_parser.Parser:
    return spiff_parser.Parser(validator=VALIDATOR)


_ENCODER = task_dumps.encoder_for(SERIALIZER._encoder_cls)


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """JSON of the workflow without its spec, tagged with the serializer version: what
    `SERIALIZER.serialize_json` writes, the kept texts of settled tasks spliced in."""
    registry = SERIALIZER.registry
    registry._encoder_mode = True  # as serialize_json does around its to_dict and json.dumps
    try:
        dct = SERIALIZER.to_dict(workflow)
        dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
        spliced = task_dumps.encode(dct, _ENCODER)
    finally:
        registry._encoder_mode = False
    if spliced is None:
        return _plain_dump(workflow)
    if task_dumps.VERIFY and _plain_dump(workflow) != spliced:
        raise AssertionError("a finished task changed after its dict was kept")
    return spliced


def _plain_dump(workflow: BpmnWorkflow) -> str:
    """The state as SpiffWorkflow's serializer writes it, every task converted anew."""
    task_dumps.KeptTaskConverter.keeping = False
    try:
        return str(SERIALIZER.serialize_json(workflow))
    finally:
        task_dumps.KeptTaskConverter.keeping = True


def dump_data(data: Mapping[str, Any]) -> str:
    """Case data exactly as `dump_workflow` writes a task's data (the same encoder, which
    tags datetimes and turns sets into lists)."""
    registry = SERIALIZER.registry
    registry._encoder_mode = True  # what serialize_json does around its json.dumps
    try:
        return json.dumps(registry.convert(dict(data)), cls=SERIALIZER._encoder_cls)
    finally:
        registry._encoder_mode = False


def load_workflow(
    state: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
) -> BpmnWorkflow:
    dct = json.loads(state)
    SERIALIZER.migrate(dct)  # brings states written by older serializer versions forward
    workflow = SERIALIZER.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def new_workflow(
    spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
) -> BpmnWorkflow:
    return CaseWorkflow(spec, subprocess_specs, script_engine=SCRIPT_ENGINE)


def parse_specs(
    tree: etree._ElementTree,
    process_id: str,
    filename: str = "diagram.bpmn",
    *,
    called: list[etree._ElementTree] | None = None,
    decisions: list[etree._Element] | None = None,
) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
    """The specs of a diagram's executable process, with the (normalised) diagrams of the
    processes its call activities name in other files and the decision tables its business
    rule tasks use (engine.bundles)."""
    parser = new_parser()
    for number, root in enumerate(decisions or ()):
        parser.add_dmn_xml(root, f"decision{number}.dmn")
    parser.add_bpmn_xml(tree, filename)
    for number, other in enumerate(called or ()):
        parser.add_bpmn_xml(other, f"called{number}.bpmn")
    spec, subprocess_specs = parser.get_spec(process_id), parser.get_subprocess_specs(process_id)
    trees = [tree, *(called or ())]
    spiff_parser.settle([t.getroot() for t in trees], spec, subprocess_specs)
    for number, one in enumerate(trees):
        # one meaning for every message event, each read in the file it is drawn in
        ids = {p.get("id") for p in one.getroot().iterfind(f"{{{spiff_parser.BPMN}}}process")}
        own = {key: s for key, s in subprocess_specs.items() if key in ids}
        if number == 0:
            messages.adopt(one, spec, own)
        elif own:
            first = next(iter(own))
            messages.adopt(one, own.pop(first), own)
    return spec, subprocess_specs
