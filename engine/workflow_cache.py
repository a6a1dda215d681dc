"""The workflows this process stored last, so that the next step of the same case need not
restore its state again (restoring was a third of a completion's SpiffWorkflow time).

Never a stale workflow: an entry is used only when the state text the case row holds now,
read under the case lock, is exactly the text the entry's workflow was serialized to, for
the same definition version (id and sha256). Any other writer, a rolled-back transaction, a
migration, another process or another database leaves a different text (or the same text,
whose workflow is then the same), so it is missed and the state restored as before. An
entry is taken out when used, so only one transaction at a time holds a workflow: one that
changes it and then rolls back leaves nothing behind.

A workflow is kept only when restoring its text would give it back as it is: every value in
its data is plain JSON (a set, a tuple or a date would come back as a list or a string, and
a script could tell the difference), and no event waits to be delivered."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from SpiffWorkflow.bpmn import BpmnWorkflow

from engine import spiff
from engine.models import Case

SIZE = 256  # workflows kept (a few megabytes for cases of ordinary size)
# A case that went round a loop hundreds of times is large and rare: restored each time.
MOST_TASKS = 500


@dataclass(frozen=True)
class _Entry:
    definition: tuple[int, str]
    state: str
    workflow: BpmnWorkflow


_entries: OrderedDict[int, _Entry] = OrderedDict()
_lock = threading.Lock()


def _definition(case: Case) -> tuple[int, str]:
    return case.definition_id, case.definition.sha256


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _plain(value: object) -> bool:
    kind = type(value)
    if kind in _PLAIN:
        return True
    if kind is list:
        return all(_plain(v) for v in value)  # type: ignore[attr-defined]
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())  # type: ignore[attr-defined]
    return False


def _restores_as_is(workflow: BpmnWorkflow) -> bool:
    if spiff.task_count(workflow) > MOST_TASKS:
        return False
    if workflow.bpmn_events or not _plain(workflow.data) or not _plain(workflow.correlations):
        return False
    for each in (workflow, *workflow.subprocesses.values()):
        if each is not workflow and not _plain(each.data):
            return False
        for task in each.tasks.values():
            if not (_plain(task.data) and _plain(task.internal_data)):
                return False
    return True


def keep(case: Case, state: str, workflow: BpmnWorkflow) -> None:
    """The workflow as it was just serialized to `state` for this case (when it would be
    restored as it is; otherwise the case's earlier entry is dropped)."""
    if not _restores_as_is(workflow):
        with _lock:
            _entries.pop(case.id, None)
        return
    entry = _Entry(_definition(case), state, workflow)
    with _lock:
        _entries[case.id] = entry
        _entries.move_to_end(case.id)
        while len(_entries) > SIZE:
            _entries.popitem(last=False)


def take(case: Case) -> BpmnWorkflow | None:
    """The kept workflow of the case if its state is the one the row holds now (the caller
    holds the case lock and read the row under it); None otherwise."""
    with _lock:
        entry = _entries.pop(case.id, None)
    if entry is None or entry.definition != _definition(case) or entry.state != case.state:
        return None
    return entry.workflow


def clear() -> None:
    with _lock:
        _entries.clear()
