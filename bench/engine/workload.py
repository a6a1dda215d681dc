"""What the benchmark runs: a looping diagram, a host of its own, the data a person submits,
and a pool of cases that each go round the loop a bounded number of times.

SpiffWorkflow keeps every completed task of a case, so a loop grows the state by a few
tasks per round (and the task tree deepens until recursion fails after about 250
rounds). Each case therefore goes round LOOPS_PER_CASE times and many cases are used, so the
measured states have the size of real cases, not of one case looped hundreds of times."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from core.db import Database
from engine import cases, definitions
from engine.host import Actor, Assignment, CaseContext
from engine.models import Case, WorkItem, WorkItemState

DIAGRAM = Path(__file__).with_name("loop.bpmn")
PROCESS_ID = "ykt_bench_loop"
LANE = "经办人"
ROLE = "officer"
FORM = "handle"
BENCH_UNIT = 1
ACTOR = Actor(1, "基准测试")
START_DATA: Mapping[str, Any] = {"rounds": 0, "subject": "基准测试案件"}
SUBMISSION: Mapping[str, Any] = {"decision": "again", "remark": "已核实，继续跟进整改情况"}
LOOPS_PER_CASE = 10


class BenchHost:
    """One lane, one form, everybody may act: the benchmark measures the engine, not rules."""

    read_with_tasks: type[Any] | None = None

    def lane_refusal(self, lane: str) -> str | None:
        return None if lane == LANE else f"泳道“{lane}”无法对应到单位和角色"

    def form_refusal(self, form_key: str) -> str | None:
        return None if form_key == FORM else f"表单不存在：{form_key}"

    def assign(
        self, session: Session, lane: str, context: CaseContext, data: Mapping[str, Any]
    ) -> Assignment:
        return Assignment(context.owning_unit_id, ROLE)

    def may_act(self, session: Session, actor: Actor, assignment: Assignment) -> bool:
        return True

    def clean_submission(
        self, session: Session, form_key: str, data: Mapping[str, Any], context: CaseContext
    ) -> dict[str, Any]:
        return dict(data)

    def check_completion(
        self, session: Session, item: WorkItem, actor: Actor, data: Mapping[str, Any]
    ) -> None:
        pass

    def case_changed(self, session: Session, case: Case) -> None:
        pass  # no record follows a benchmark case

    def timers_fire_for(self, session: Session) -> ColumnElement[bool] | None:
        return None  # every case's timers fire


@dataclass(frozen=True)
class Plan:
    """How many cases go round the loop how many times: cases × loops completions."""

    cases: int
    loops: int

    @classmethod
    def for_completions(cls, completions: int) -> Plan:
        loops = max(1, min(LOOPS_PER_CASE, completions))
        return cls(max(1, math.ceil(completions / loops)), loops)

    @property
    def completions(self) -> int:
        return self.cases * self.loops


def diagram_xml() -> str:
    return DIAGRAM.read_text(encoding="utf-8")


def deploy(database: Database, host: BenchHost) -> int:
    with database.transaction() as session:
        definition, _ = definitions.deploy(session, diagram_xml(), host, deployed_by="bench")
        return definition.id


def start_cases(database: Database, host: BenchHost, count: int) -> list[int]:
    with database.transaction() as session:
        started = [
            cases.start_case(
                session,
                host,
                PROCESS_ID,
                data=START_DATA,
                context=CaseContext(owning_unit_id=BENCH_UNIT, subject_type="bench"),
                actor=ACTOR,
            )
            for _ in range(count)
        ]
        return [case.id for case in started]


def open_items(session: Session, case_ids: list[int]) -> dict[int, int]:
    """The open work item of each case, by case id."""
    rows = session.execute(
        select(WorkItem.case_id, WorkItem.id).where(
            WorkItem.case_id.in_(case_ids), WorkItem.state == WorkItemState.OPEN.value
        )
    )
    return {case_id: item_id for case_id, item_id in rows}
