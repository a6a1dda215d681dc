"""The two completion measurements: SpiffWorkflow used plainly, and our whole transaction.

Both run the same diagram with the same data over the same plan (many cases, each completed
a few times in turn), so their medians compare like with like."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from time import perf_counter

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

from bench.engine.workload import (
    ACTOR,
    DIAGRAM,
    PROCESS_ID,
    START_DATA,
    SUBMISSION,
    BenchHost,
    Plan,
    open_items,
    start_cases,
)
from core.db import Database
from engine import cases
from engine.runner import in_transaction


@dataclass(frozen=True)
class Timings:
    """Seconds per operation, and the wall time of the whole sequential run."""

    each: list[float]
    wall: float

    @property
    def median_ms(self) -> float:
        return statistics.median(self.each) * 1000

    @property
    def per_second(self) -> float:
        return len(self.each) / self.wall


def percentile_ms(seconds: list[float], fraction: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(seconds)
    rank = max(1, math.ceil(round(fraction * len(ordered), 9)))
    return ordered[rank - 1] * 1000


def raw_cycles(plan: Plan) -> Timings:
    """The library as its documentation shows it: state serialized with its spec, default
    script engine; one cycle = deserialize, complete the user task, run, serialize."""
    parser = CamundaParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec = parser.get_spec(PROCESS_ID)
    subprocess_specs = parser.get_subprocess_specs(PROCESS_ID)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    states: list[str] = []
    for _ in range(plan.cases):
        workflow = BpmnWorkflow(spec, subprocess_specs)
        workflow.task_tree.data.update(START_DATA)
        workflow.do_engine_steps()
        states.append(serializer.serialize_json(workflow))
    each: list[float] = []
    started = perf_counter()
    for _ in range(plan.loops):
        for n, state in enumerate(states):
            began = perf_counter()
            workflow = serializer.deserialize_json(state)
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(SUBMISSION)
            task.run()
            workflow.refresh_timers()
            workflow.do_engine_steps()
            states[n] = serializer.serialize_json(workflow)
            each.append(perf_counter() - began)
    return Timings(each, perf_counter() - started)


def our_completions(database: Database, host: BenchHost, plan: Plan) -> Timings:
    """`complete_task` through the transaction runner, each completion committed on its own.
    Cases are started beforehand; finding the open work items takes one query per round,
    which counts in the wall time (throughput) but not in the per-completion times."""
    case_ids = start_cases(database, host, plan.cases)
    each: list[float] = []
    started = perf_counter()
    for _ in range(plan.loops):
        with database.transaction() as session:
            items = open_items(session, case_ids)
        for case_id in case_ids:
            began = perf_counter()
            in_transaction(database, host, cases.complete_task, items[case_id], SUBMISSION, ACTOR)
            each.append(perf_counter() - began)
    return Timings(each, perf_counter() - started)
