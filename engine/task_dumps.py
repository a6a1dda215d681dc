"""A finished task's serialized form, kept on the task so that storing the case again does
not convert it again.

A case keeps every task it ever ran, and storing it after a step converted all of them (a
case ten rounds into a loop: 75 tasks, 1.5 ms, three quarters of the serializing), though
only the few the step touched had changed. A task that is finished (completed, cancelled or
in error) whose parent is finished too no longer changes: SpiffWorkflow runs scripts, merges
data and delivers events only into tasks that are not finished, and its data is stored as
the difference from its parent's. Its dict is kept with what it was made from (state, time
of the last change, triggered, children, spec); any of those changing, as a reset of the tree
does, makes it again. Its JSON text is kept too, the first time it is stored from the kept
dict: the whole state is encoded with each such task's text spliced in (`encode`), not
encoded again.

`VERIFY` (the test suite turns it on) makes every store convert the whole workflow the
plain way too and fail when the two texts differ, so a path that changes a finished task is
found by the tests of that path, not in a case."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

VERIFY = False

_KEPT = "_ykt_kept"
# What stands for a kept text in the encoded state until it is spliced in: a string nothing
# else in a state can hold, since its token is drawn anew by each process.
_TOKEN = secrets.token_hex(8)
_STAND_IN = re.compile(r'"\\u0000' + _TOKEN + r':(\d+)"')


@dataclass(slots=True)
class Kept:
    """A settled task's dict, what it was made from, and its JSON text once encoded."""

    made_from: tuple[Any, ...]
    dct: dict[str, Any]
    key: str  # the task's id as the map of tasks names it
    text: str | None = None

    def update(self, values: dict[str, Any]) -> None:
        """SpiffWorkflow's registry adds the typename to what a converter gives: the kept
        dict got it when it was made."""
        assert values.items() <= self.dct.items()


def _unchanging(task: Task) -> bool:
    if not task.state & TaskState.FINISHED_MASK:
        return False
    parent = task.parent
    return parent is None or bool(parent.state & TaskState.FINISHED_MASK)


def _made_from(task: Task) -> tuple[Any, ...]:
    # the spec too: a migration gives finished tasks the new version's (whose name may differ)
    return (
        task.state,
        task.last_state_change,
        task.triggered,
        tuple(task._children),
        task.task_spec,
    )


class KeptTaskConverter(TaskConverter):
    """SpiffWorkflow's own conversion of a task, kept on a task that no longer changes: the
    dict the first time, then what was kept (which only `encoder_for`'s encoder reads)."""

    keeping = True  # off while `VERIFY` makes the plain text to compare with

    def to_dict(self, task: Task) -> dict[str, Any] | Kept:
        kept = _still_kept(task)
        if kept is not None:
            return kept
        dct: dict[str, Any] = super().to_dict(task)
        if self.keeping and _unchanging(task):
            setattr(task, _KEPT, Kept(_made_from(task), dct, str(task.id)))
        return dct


def _still_kept(task: Task) -> Kept | None:
    """The task's kept conversion, while it is still what converting the task would give."""
    kept: Kept | None = task.__dict__.get(_KEPT)
    if kept is None or not (KeptTaskConverter.keeping and _unchanging(task)):
        return None
    return kept if kept.made_from == _made_from(task) else None


def mapping_to_dict(mapping: Mapping[Any, Any], convert: Callable[[Any], Any]) -> dict[str, Any]:
    """SpiffWorkflow's conversion of a map (`{str(key): convert(value)}`), a settled task's
    kept conversion taken straight from it with its key (a case's map of tasks is mostly
    those: converting each through the registry, its id written out anew, was most of the
    map's time)."""
    converted: dict[str, Any] = {}
    for key, value in mapping.items():
        kept = _still_kept(value) if type(value) is Task else None
        if kept is not None:
            converted[kept.key] = kept
        else:
            converted[str(key)] = convert(value)
    return converted


def encoder_for(base: type[json.JSONEncoder]) -> type[json.JSONEncoder]:
    """`base` (SpiffWorkflow's encoder) that writes a stand-in for each kept task, encoding
    its dict the first time, and remembers the texts to splice in (`encode`)."""

    class KeptEncoder(base):  # type: ignore[valid-type,misc]
        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            self.spliced: list[str] = []

        def default(self, o: Any) -> Any:
            if type(o) is not Kept:
                return super().default(o)
            if o.text is None:
                o.text = self.encode(o.dct)
            self.spliced.append(o.text)
            return f"\x00{_TOKEN}:{len(self.spliced) - 1}"

    return KeptEncoder


def encode(dct: dict[str, Any], encoder_cls: type[json.JSONEncoder]) -> str | None:
    """The state's JSON, each kept task's text in place of its stand-in: the text
    `json.dumps(dct, cls=base)` writes for the same tasks converted anew. None when the state
    holds a stand-in of its own (data that copied this process's token): the caller then
    encodes it the plain way."""
    encoder = encoder_cls()
    text = encoder.encode(dct)
    spliced: list[str] = getattr(encoder, "spliced", [])
    if not spliced:
        return text
    seen = 0

    def put(found: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return spliced[int(found.group(1))]

    text = _STAND_IN.sub(put, text)
    return text if seen == len(spliced) else None
