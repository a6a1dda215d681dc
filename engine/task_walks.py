"""SpiffWorkflow's walks of a case's task tree, in fewer steps.

SpiffWorkflow finds the tasks of a workflow in a state by walking its task tree from the
root (TaskIterator): for the ready tasks in every engine step, for the waiting ones after
every task it completes, and to tell whether the workflow has finished. A case keeps every
task it ever ran, so the tree grows with each round a case goes, and the walk's own
bookkeeping (a list shifted at every task, a depth counted down by walking up the tree
after every leaf, a task's relatives looked up again through properties) was an eighth of
a completion's time.

`walk` visits the same tasks in the same order and hands out those the library's own filter
accepts. It takes each task's children when the library does (as it takes the task, before
handing it out), so a caller that changes the tree while walking (the waiting tasks are
updated as they are found) sees what it saw before. It leaves out only the depth counting,
which stops a walk at TREE_WALK_DEPTH: a tree of fewer tasks than that is never so deep, so
a larger tree, or a walk asked for a depth of its own, is walked by the library.
`VERIFY` (the test suite turns it on) makes every walk first compare the tasks it would give
with the library's."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.task import BpmnTaskFilter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskFilter, TaskIterator, TaskState

VERIFY = False
TREE_WALK_DEPTH = 10_000  # where SpiffWorkflow's walks stop (engine.spiff makes it their default)
_FINISHED = TaskState.FINISHED_MASK


def _lowest_state_descended(state: int) -> int:
    """The state below which the library does not look under a task (TaskIterator)."""
    if state & TaskState.PREDICTED_MASK:
        return TaskState.MAYBE
    if state & TaskState.DEFINITE_MASK:
        return TaskState.FUTURE
    return TaskState.COMPLETED


def walk(
    top: BpmnWorkflow,
    first: Task,
    task_filter: TaskFilter,
    *,
    into_subprocesses: bool,
    end_at_spec: str | None = None,
    skip_subprocesses: bool = False,
) -> Iterator[Task]:
    """The tasks under `first` (itself included) that `task_filter` accepts, in the order
    TaskIterator (or, `into_subprocesses`, BpmnTaskIterator) of `top` gives them."""
    wanted = task_filter.state
    lowest = _lowest_state_descended(wanted)
    matches = task_filter.matches
    pending = [first]  # a stack: the next task is the last one
    while pending:
        task = pending.pop()
        subprocess = top.subprocesses.get(task.id) if into_subprocesses else None
        if (
            (task._children or subprocess is not None)
            and (task._state >= lowest or subprocess is not None)
            and task.task_spec.name != end_at_spec
        ):
            following = task.children
            if not (
                subprocess is None
                or skip_subprocesses
                or (task._state >= _FINISHED and wanted <= _FINISHED)
            ):
                following = [subprocess.task_tree, *following]
            pending.extend(reversed(following))
        if task._state & wanted and matches(task):
            yield task


def _position(
    workflow: BpmnWorkflow, task: Task, first: Task, lowest: int, end_at_spec: str | None
) -> list[int] | None:
    """Where a walk from `first` reaches the task (the positions of the task and of those
    above it among their parents' children), or None when it does not: a task above it is
    not looked under (below the lowest state descended, or where the walk ends), or it is
    not under `first`."""
    tasks = workflow.tasks
    path: list[int] = []
    node = task
    while node is not first:
        parent = tasks.get(node._parent)
        if parent is None or parent._state < lowest or parent.task_spec.name == end_at_spec:
            return None
        try:
            path.append(parent._children.index(node.id))
        except ValueError:  # its parent does not list it: no walk goes there
            return None
        node = parent
    path.reverse()
    return path


def found(
    workflow: BpmnWorkflow, first: Task, task_filter: TaskFilter, *, end_at_spec: str | None = None
) -> list[Task]:
    """What `walk` of the workflow's own tree (not into subprocesses) gives when nothing
    changes the tree meanwhile, read from the workflow's map of tasks: the few in the state
    asked for that the walk reaches, in its order."""
    lowest = _lowest_state_descended(task_filter.state)
    placed: list[tuple[list[int], Task]] = []
    for task in _in_state(workflow, task_filter):
        path = _position(workflow, task, first, lowest, end_at_spec)
        if path is not None:
            placed.append((path, task))
    placed.sort(key=lambda one: one[0])
    return [task for _, task in placed]


def any_found(workflow: BpmnWorkflow, task_filter: TaskFilter) -> bool:
    """Whether `found` from the workflow's root would give any task."""
    lowest = _lowest_state_descended(task_filter.state)
    root = workflow.task_tree
    return any(
        _position(workflow, task, root, lowest, None) is not None
        for task in _in_state(workflow, task_filter)
    )


def _in_state(workflow: BpmnWorkflow, task_filter: TaskFilter) -> Iterator[Task]:
    wanted = task_filter.state
    return (t for t in workflow.tasks.values() if t._state & wanted and task_filter.matches(t))


def _walkable(top: BpmnWorkflow, options: dict[str, Any]) -> bool:
    size = len(top.tasks) + sum(len(sub.tasks) for sub in top.subprocesses.values())
    return (
        size < TREE_WALK_DEPTH
        and options.get("max_depth", TREE_WALK_DEPTH) >= TREE_WALK_DEPTH
        and options.get("depth_first", True)
    )


def _compare(ours: Iterable[Task], theirs: TaskIterator) -> None:
    """Both walks run to their end as the tree is now (they change nothing)."""
    mine, expected = list(ours), list(theirs)
    if mine != expected:
        raise AssertionError(f"task walk differs: {mine} != {expected}")


_WALK_OPTIONS = ("end_at_spec", "skip_subprocesses")


class CaseWorkflow(BpmnWorkflow):
    """A case's workflow: SpiffWorkflow's, its tree walked by `walk`, or its tasks read by
    `found`, where they may be."""

    def _asked(
        self, first_task: Task | None, kwargs: dict[str, Any]
    ) -> tuple[Task, TaskFilter, dict[str, Any]] | None:
        """Where a walk starts, its filter and options; None for the library's own walk."""
        if not _walkable(self, kwargs):
            return None
        options = {k: kwargs.pop(k) for k in _WALK_OPTIONS if k in kwargs}
        kwargs.pop("max_depth", None)
        kwargs.pop("depth_first", None)
        task_filter = kwargs.pop("task_filter", None) or BpmnTaskFilter(**kwargs)
        return first_task or self.task_tree, task_filter, options

    def get_tasks_iterator(self, first_task: Task | None = None, **kwargs: Any) -> Any:
        asked = self._asked(first_task, dict(kwargs))
        if asked is None:
            return super().get_tasks_iterator(first_task, **kwargs)
        first, task_filter, options = asked
        if VERIFY:
            theirs = super().get_tasks_iterator(first_task, task_filter=task_filter, **options)
            _compare(walk(self, first, task_filter, into_subprocesses=True, **options), theirs)
        return walk(self, first, task_filter, into_subprocesses=True, **options)

    def get_tasks(self, first_task: Task | None = None, **kwargs: Any) -> list[Task]:
        """As the library's, which takes the whole walk before anything runs: without
        subprocesses to walk into, read from the map of tasks (when it holds the task the walk
        starts from: one taken out of the tree is walked, as the library walks it)."""
        asked = self._asked(first_task, dict(kwargs))
        if (
            asked is None
            or self.subprocesses
            or asked[2].get("skip_subprocesses")
            or self.tasks.get(asked[0].id) is not asked[0]
        ):
            return list(self.get_tasks_iterator(first_task, **kwargs))
        first, task_filter, options = asked
        tasks = found(self, first, task_filter, end_at_spec=options.get("end_at_spec"))
        if VERIFY:
            theirs = super().get_tasks_iterator(first_task, task_filter=task_filter, **options)
            _compare(tasks, theirs)
        return tasks

    def get_next_task(self, first_task: Task | None = None, **kwargs: Any) -> Task | None:
        return next(iter(self.get_tasks(first_task, **kwargs)), None)

    def _any_plain(self, state: int) -> bool | None:
        """Whether TaskIterator(self.task_tree, state=state), as Workflow's own methods walk
        (not into subprocesses), finds a task; None when the library must walk."""
        if not _walkable(self, {}):
            return None
        task_filter = TaskFilter(state=state)
        seen = any_found(self, task_filter)
        if VERIFY and seen != any(True for _ in TaskIterator(self.task_tree, state=state)):
            raise AssertionError(f"task walk differs: {seen} for state {state}")
        return seen

    def is_completed(self) -> bool:
        completed: bool = self.completed  # type: ignore[has-type]  # untyped in the library
        if not completed:
            unfinished = self._any_plain(TaskState.NOT_FINISHED_MASK)
            if unfinished is None:
                return bool(super().is_completed())
            self.completed = completed = not unfinished
        return completed

    def update_waiting_tasks(self) -> None:
        """The waiting tasks updated as the library walks to them, one after another: an
        update may change the tree the walk goes on through. Without a waiting task there is
        nothing to walk to."""
        waiting = self._any_plain(TaskState.WAITING)
        if waiting is False:
            return
        if waiting is None:
            super().update_waiting_tasks()
            return
        for task in walk(
            self, self.task_tree, TaskFilter(state=TaskState.WAITING), into_subprocesses=False
        ):
            task.task_spec._update(task)
