"""engine.task_walks against SpiffWorkflow's own walks, over task trees of every shape.

The suite runs every case's walks in VERIFY mode (tests/conftest.py): each one is compared
with the library's on the trees real diagrams grow. Here the trees are random, and so are
their states: also states no diagram produces (a ready task under a predicted one, a task
its parent does not list), so that where the walk looks is tested, not only where real
trees happen to put their tasks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskFilter, TaskIterator, TaskState

from bench.engine.workload import DIAGRAM, PROCESS_ID
from engine import spiff, task_walks
from engine.task_walks import CaseWorkflow, any_found, found, walk

STATES = [
    TaskState.MAYBE,
    TaskState.LIKELY,
    TaskState.FUTURE,
    TaskState.WAITING,
    TaskState.READY,
    TaskState.STARTED,
    TaskState.COMPLETED,
    TaskState.ERROR,
    TaskState.CANCELLED,
]
ASKED = [
    *STATES,
    TaskState.NOT_FINISHED_MASK,
    TaskState.FINISHED_MASK,
    TaskState.DEFINITE_MASK,
    TaskState.PREDICTED_MASK,
    TaskState.ANY_MASK,
]


def _workflow() -> CaseWorkflow:
    parser = spiff.new_parser()
    parser.add_bpmn_file(str(DIAGRAM))
    workflow = spiff.new_workflow(parser.get_spec(PROCESS_ID), {})
    assert isinstance(workflow, CaseWorkflow)
    return workflow


_SPECS = list(_workflow().spec.task_specs.values())


@st.composite
def trees(draw: st.DrawFn) -> tuple[CaseWorkflow, list[Task]]:
    """A workflow whose tree is random: each task's parent drawn among those before it (or
    none: a task its parent does not list, left out of every walk), its state and spec
    drawn too; children sometimes listed out of the order they were made. (Never a task
    its parent lists twice, which the library would walk to twice: no diagram makes one.)"""
    workflow = _workflow()
    workflow.tasks.clear()
    root = Task(workflow, _SPECS[0], state=draw(st.sampled_from(STATES)))
    workflow.task_tree = root
    made = [root]
    for _ in range(draw(st.integers(0, 40))):
        parent = made[draw(st.integers(0, len(made) - 1))]
        task = Task(workflow, draw(st.sampled_from(_SPECS)), parent, draw(st.sampled_from(STATES)))
        parent._children.remove(task.id)  # the library listed it last
        if draw(st.integers(0, 15)):  # else an orphan: its parent does not list it
            parent._children.insert(draw(st.integers(0, len(parent._children))), task.id)
        made.append(task)
    return workflow, made


@contextmanager
def _unverified() -> Iterator[None]:
    """Our walks alone: the library's is what each test compares them with."""
    task_walks.VERIFY = False
    try:
        yield
    finally:
        task_walks.VERIFY = True


@settings(max_examples=300, deadline=None)
@given(
    trees(),
    st.sampled_from(ASKED),
    st.integers(0, 40),
    st.sampled_from([None, *(spec.name for spec in _SPECS)]),
)
def test_walks_give_the_librarys_tasks_in_its_order(
    tree: tuple[CaseWorkflow, list[Task]], state: int, start: int, end_at: str | None
) -> None:
    workflow, made = tree
    first = made[start % len(made)]
    theirs = list(TaskIterator(first, state=state, end_at_spec=end_at))
    with _unverified():
        asked = TaskFilter(state=state)
        assert (
            list(walk(workflow, first, asked, into_subprocesses=False, end_at_spec=end_at))
            == theirs
        )
        assert (
            list(walk(workflow, first, asked, into_subprocesses=True, end_at_spec=end_at)) == theirs
        )
        assert found(workflow, first, asked, end_at_spec=end_at) == theirs
        from_root = list(TaskIterator(workflow.task_tree, state=state))
        assert any_found(workflow, asked) == bool(from_root)
        assert workflow.get_tasks(state=state) == from_root
        assert workflow.get_tasks(first, state=state, end_at_spec=end_at) == theirs
        assert workflow.get_next_task(state=state) == (from_root[0] if from_root else None)


@settings(max_examples=100, deadline=None)
@given(trees())
def test_completed_and_waiting_as_the_library_tells(tree: tuple[CaseWorkflow, list[Task]]) -> None:
    workflow, _ = tree
    with _unverified():
        ours = workflow.is_completed()
    workflow.completed = False
    assert ours == BpmnWorkflow.is_completed(workflow)


def test_a_tree_too_large_or_a_depth_asked_is_walked_by_the_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where depth could stop a walk, the library's own walk answers (and stops where it
    does)."""
    workflow = _workflow()
    workflow.tasks.clear()
    node = workflow.task_tree = Task(workflow, _SPECS[0], state=TaskState.COMPLETED)
    for _ in range(60):
        node = node._add_child(_SPECS[1], TaskState.COMPLETED)
    ready = node._add_child(_SPECS[1], TaskState.READY)
    with _unverified():
        assert workflow.get_tasks(state=TaskState.READY, max_depth=5) == []
        assert isinstance(workflow.get_tasks_iterator(max_depth=5), BpmnTaskIterator)
        assert not isinstance(workflow.get_tasks_iterator(), BpmnTaskIterator)
        monkeypatch.setattr(task_walks, "TREE_WALK_DEPTH", 50)
        assert isinstance(workflow.get_tasks_iterator(), BpmnTaskIterator)
        assert workflow.get_tasks(state=TaskState.READY) == [ready]
        assert workflow.is_completed() is False


def test_a_case_runs_alike_with_either_walk() -> None:
    """The benchmark's looping diagram, ten rounds: the same tasks, states and data whether
    the tree is walked by the library or here."""
    ours = _workflow()
    theirs = _workflow()
    theirs.__class__ = BpmnWorkflow  # the library's walks
    for workflow in (ours, theirs):
        workflow.task_tree.data.update({"rounds": 0, "subject": "核对"})
        workflow.do_engine_steps()
        for _ in range(10):
            (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
            task.data.update({"decision": "again", "remark": "继续"})
            task.run()
            workflow.refresh_timers()
            workflow.do_engine_steps()

    def shape(workflow: BpmnWorkflow) -> list[tuple[str, str, dict[str, object]]]:
        walked = TaskIterator(workflow.task_tree)
        return [(t.task_spec.name, TaskState.get_name(t.state), t.data) for t in walked]

    assert shape(ours) == shape(theirs)
    assert ours.last_task.data["rounds"] == 10


def test_a_walk_from_a_task_no_longer_in_the_tree_gives_what_the_librarys_gives() -> None:
    """A task taken out of the tree (a reset branch, a dropped prediction) is still a place
    a walk may start from (Workflow.run_next starts from `last_task`): the library's walk
    gives the task itself when it matches, though the map of tasks no longer holds it."""
    workflow = _workflow()
    workflow.tasks.clear()
    root = workflow.task_tree = Task(workflow, _SPECS[0], state=TaskState.COMPLETED)
    gone = root._add_child(_SPECS[1], TaskState.READY)
    workflow._remove_task(gone.id)
    theirs = list(BpmnTaskIterator(gone, state=TaskState.READY))
    assert theirs == [gone]
    with _unverified():
        assert workflow.get_tasks(gone, state=TaskState.READY) == theirs
        assert workflow.get_next_task(gone, state=TaskState.READY) is gone
    assert workflow.get_tasks(gone, state=TaskState.READY) == theirs
