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


class RawCases:
    """Workflows of one diagram, each stored as SpiffWorkflow stores it (state serialized
    with its spec, the default script engine), completed one cycle at a time: deserialize,
    complete the ready user task, run, serialize."""

    def __init__(
        self, diagram: Path, process_id: str, start_data: Mapping[str, Any], *, cases: int
    ) -> None:
        parser = CamundaParser()
        parser.add_bpmn_file(str(diagram))
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
        self.states: list[str] = []
        for _ in range(cases):
            workflow = BpmnWorkflow(spec, subprocess_specs)
            workflow.task_tree.data.update(start_data)
            workflow.do_engine_steps()
            self.states.append(self.serializer.serialize_json(workflow))

    def cycle(self, n: int, submission: Mapping[str, Any]) -> float:
        """One cycle of the n-th workflow; its seconds."""
        began = perf_counter()
        workflow = self.serializer.deserialize_json(self.states[n])
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update(submission)
        task.run()
        workflow.refresh_timers()
        workflow.do_engine_steps()
        self.states[n] = self.serializer.serialize_json(workflow)
        return perf_counter() - began


def cycle_times(
    diagram: Path,
    process_id: str,
    start_data: Mapping[str, Any],
    submission: Mapping[str, Any],
    *,
    cases: int,
    loops: int,
) -> list[float]:
    """Seconds of each cycle over `cases` workflows completed `loops` times in turn."""
    raw = RawCases(diagram, process_id, start_data, cases=cases)
    return [raw.cycle(n, submission) for _ in range(loops) for n in range(cases)]
