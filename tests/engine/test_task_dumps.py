"""A finished task's kept dict (engine.task_dumps): storing a case converts only what may
have changed, and always writes the text the plain conversion writes."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import spiff, task_dumps
from engine.spiff import TaskState

DIAGRAM = Path(__file__).with_name("diagrams") / "loop.bpmn"


def _new_loop() -> spiff.BpmnWorkflow:
    parser = spiff.new_parser()
    parser.add_bpmn_file(str(DIAGRAM))
    workflow = spiff.new_workflow(
        parser.get_spec("test_loop"), parser.get_subprocess_specs("test_loop")
    )
    workflow.do_engine_steps()
    return workflow


def _go_round(workflow: spiff.BpmnWorkflow, data: dict[str, Any], *, again: bool = True) -> None:
    [ask] = workflow.get_tasks(state=TaskState.READY, manual=True)
    ask.data.update(data, again=again)
    ask.run()
    workflow.do_engine_steps()


def _plain(workflow: spiff.BpmnWorkflow) -> str:
    task_dumps.KeptTaskConverter.keeping = False
    try:
        return spiff.SERIALIZER.serialize_json(workflow)
    finally:
        task_dumps.KeptTaskConverter.keeping = True


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> list[UUID]:
    """The ids of the tasks SpiffWorkflow's own conversion ran on (when storing, not also
    checking)."""
    monkeypatch.setattr(task_dumps, "VERIFY", False)
    converted: list[UUID] = []
    real = task_dumps.TaskConverter.to_dict  # SpiffWorkflow's own, which ours calls

    def counted(self: Any, task: Any) -> dict[str, Any]:
        converted.append(task.id)
        return real(self, task)

    monkeypatch.setattr(task_dumps.TaskConverter, "to_dict", counted)
    return converted


def _finished(task: Any) -> bool:
    return task is None or bool(task.state & TaskState.FINISHED_MASK)


def test_storing_again_converts_only_the_tasks_that_may_change(conversions: list[UUID]) -> None:
    workflow = _new_loop()
    for n in range(5):
        _go_round(workflow, {"round": n})
    first = spiff.dump_workflow(workflow)
    assert sorted(conversions) == sorted(workflow.tasks)
    settled = {id for id, t in workflow.tasks.items() if _finished(t) and _finished(t.parent)}
    conversions.clear()
    _go_round(workflow, {"round": 5})
    second = spiff.dump_workflow(workflow)
    # The round's tasks and those still to come; none of the fifty-odd of the rounds before.
    assert len(settled) > 40
    assert conversions and not settled & set(conversions)
    assert second == _plain(workflow) != first
    restored = spiff.load_workflow(second, workflow.spec, workflow.subprocess_specs)
    assert spiff.dump_workflow(restored) == second


def test_a_finished_task_that_changes_fails_the_check_the_suite_runs_under() -> None:
    workflow = _new_loop()
    _go_round(workflow, {"round": 0})
    spiff.dump_workflow(workflow)
    ask = next(t for t in workflow.tasks.values() if t.task_spec.name == "ask")
    assert ask.state == TaskState.COMPLETED
    ask.data["round"] = 99  # no engine path does this; the check is there to say so
    assert task_dumps.VERIFY
    with pytest.raises(AssertionError, match="finished task changed"):
        spiff.dump_workflow(workflow)


def test_a_finished_task_given_another_spec_is_stored_with_it() -> None:
    """A migration aligns a case's finished tasks with the new version's specs, whose names
    may differ (SpiffWorkflow's migrate_workflow): the kept text must not keep the old."""
    workflow = _new_loop()
    _go_round(workflow, {"round": 0})
    spiff.dump_workflow(workflow)
    ask = next(t for t in workflow.tasks.values() if t.task_spec.name == "ask")
    other = next(s for n, s in workflow.spec.task_specs.items() if n not in ("ask", "Start"))
    ask.task_spec = other
    text = spiff.dump_workflow(workflow)
    assert text == _plain(workflow)
    assert json.loads(text)["tasks"][str(ask.id)]["task_spec"] == other.name


def test_a_tree_reset_to_an_earlier_task_is_stored_as_it_is_now() -> None:
    workflow = _new_loop()
    for n in range(3):
        _go_round(workflow, {"round": n})
    spiff.dump_workflow(workflow)
    first_ask = next(t for t in workflow.tasks.values() if t.task_spec.name == "ask")
    workflow.reset_from_task_id(first_ask.id)
    assert spiff.dump_workflow(workflow) == _plain(workflow)
    _go_round(workflow, {"round": "again"}, again=False)
    assert workflow.is_completed()
    assert spiff.dump_workflow(workflow) == _plain(workflow)


_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
_steps = st.lists(
    st.one_of(
        st.tuples(st.just("round"), st.dictionaries(st.sampled_from("abc"), _values)),
        st.tuples(st.just("dated"), st.datetimes(min_value=datetime(2020, 1, 1))),
        st.tuples(st.just("reset"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("store"), st.none()),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=_steps)
def test_whatever_a_case_goes_through_its_text_is_the_plain_one(
    steps: list[tuple[str, Any]],
) -> None:
    workflow = _new_loop()
    for kind, value in steps:
        if kind == "round":
            _go_round(workflow, value)
        elif kind == "dated":
            _go_round(workflow, {"when": value})
        elif kind == "reset":
            finished = [
                t
                for t in workflow.tasks.values()
                if t.task_spec.name == "ask" and t.state == TaskState.COMPLETED
            ]
            if finished:
                workflow.reset_from_task_id(finished[value % len(finished)].id)
        state = spiff.dump_workflow(workflow)
        assert state == _plain(workflow)
    restored = spiff.load_workflow(spiff.dump_workflow(workflow), workflow.spec, {})
    assert spiff.dump_workflow(restored) == _plain(restored)


def test_data_that_copies_a_stand_in_is_stored_as_it_is() -> None:
    workflow = _new_loop()
    for n in range(3):
        _go_round(workflow, {"round": n})
    spiff.dump_workflow(workflow)  # the settled tasks' dicts kept; their texts next time
    copied = f"\x00{task_dumps._TOKEN}:0"
    _go_round(workflow, {"note": copied})
    state = spiff.dump_workflow(workflow)
    assert state == _plain(workflow)
    assert json.loads(state)["tasks"] and copied in state.encode().decode("unicode_escape")
