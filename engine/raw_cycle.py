"""SpiffWorkflow used plainly, as its documentation shows it: the reference the engine's
completion is measured against (`ykt bench`, `ykt bench-completion`). Nothing of the product
runs through here; it lives in engine/ because engine/ alone speaks to the library."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from time import perf_counter
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState


def cycle_times(
    diagram: Path,
    process_id: str,
    start_data: Mapping[str, Any],
    submission: Mapping[str, Any],
    *,
    cases: int,
    loops: int,
) -> list[float]:
    """Seconds of each cycle over `cases` workflows completed `loops` times in turn, state
    serialized with its spec and the default script engine; one cycle = deserialize,
    complete the ready user task, run, serialize."""
    parser = CamundaParser()
    parser.add_bpmn_file(str(diagram))
    spec = parser.get_spec(process_id)
    subprocess_specs = parser.get_subprocess_specs(process_id)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    states: list[str] = []
    for _ in range(cases):
        workflow = BpmnWorkflow(spec, subprocess_specs)
        workflow.task_tree.data.update(start_data)
        workflow.do_engine_steps()
        states.append(serializer.serialize_json(workflow))
    each: list[float] = []
    for _ in range(loops):
        for n, state in enumerate(states):
            began = perf_counter()
            workflow = serializer.deserialize_json(state)
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(submission)
            task.run()
            workflow.refresh_timers()
            workflow.do_engine_steps()
            states[n] = serializer.serialize_json(workflow)
            each.append(perf_counter() - began)
    return each
