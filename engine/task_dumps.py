"""A finished task's serialized form, kept on the task so that storing the case again does
not convert it again.

A case keeps every task it ever ran, and storing it after a step converted all of them (a
case ten rounds into a loop: 75 tasks, 1.5 ms, three quarters of the serializing), though
only the few the step touched had changed. A task that is finished (completed, cancelled or
in error) whose parent is finished too no longer changes: SpiffWorkflow runs scripts, merges
data and delivers events only into tasks that are not finished, and its data is stored as
the difference from its parent's. Its dict is kept with what it was made from (state, time
of the last change, triggered, children); any of those changing, as a reset of the tree
does, makes it again.

`VERIFY` (the test suite turns it on) makes every store convert the whole workflow the
plain way too and fail when the two texts differ, so a path that changes a finished task is
found by the tests of that path, not in a case."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

VERIFY = False

_KEPT = "_ykt_kept_dict"


def _unchanging(task: Task) -> bool:
    if not task.state & TaskState.FINISHED_MASK:
        return False
    parent = task.parent
    return parent is None or bool(parent.state & TaskState.FINISHED_MASK)


def _made_from(task: Task) -> tuple[Any, ...]:
    return (task.state, task.last_state_change, task.triggered, tuple(task._children))


class KeptTaskConverter(TaskConverter):
    """SpiffWorkflow's own conversion of a task, kept on a task that no longer changes."""

    keeping = True  # off while `VERIFY` makes the plain text to compare with

    def to_dict(self, task: Task) -> dict[str, Any]:
        if not (self.keeping and _unchanging(task)):
            dct: dict[str, Any] = super().to_dict(task)
            return dct
        made_from = _made_from(task)
        kept = task.__dict__.get(_KEPT)
        if kept is not None and kept[0] == made_from:
            return kept[1]
        dct = super().to_dict(task)
        setattr(task, _KEPT, (made_from, dct))
        return dct
