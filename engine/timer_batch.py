"""Firing the due timers of many cases in one transaction, so that a day with tens of
thousands of deadlines is swept in minutes' fraction rather than one case per transaction.

The cases are locked together (one SELECT … FOR UPDATE, in id order, as every sweep takes
them), their projected rows are read together after the locks, and their writes go in one
flush. Each case still runs through SpiffWorkflow exactly as on its own (`cases.step`,
`cases.stage`, `cases.settle`): nothing is inferred from the diagram. A case the batch
cannot fire plainly is left untouched and handed back, for the one-case path
(`cases.fire_due_timers`, in a transaction of its own) to fire, repair or mark in error:
one that fails while running, has nothing due (fired by another sweep, or completed
meanwhile), is no longer running, or sends messages to other cases."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, undefer
from sqlalchemy.orm.exc import StaleDataError

from core import clock
from engine import cases, messages, projection
from engine.errors import CaseFailed, TaskConflict
from engine.failures import running
from engine.host import EngineHost
from engine.models import Case, CaseStatus

_LIVE = (CaseStatus.RUNNING.value, CaseStatus.WAITING.value)

_LOCK_CASES = (
    select(Case)
    .where(Case.id.in_(bindparam("case_ids", expanding=True)))
    .options(undefer(Case.state), joinedload(Case.definition, innerjoin=True))
    .order_by(Case.id)
    .with_for_update(of=Case)
    .execution_options(populate_existing=True)
)


@dataclass
class BatchOutcome:
    fired: int = 0
    # Cases for the one-case path, untouched by the batch.
    left: list[int] = field(default_factory=list)


def fire_together(session: Session, host: EngineHost, case_ids: list[int]) -> BatchOutcome:
    """Fire the due timers of these cases in the caller's transaction. Anything that goes
    wrong outside one case's own run (the flush, the host) raises, and the caller rolls the
    whole batch back and fires its cases one by one."""
    outcome = BatchOutcome()
    locked = list(session.scalars(_LOCK_CASES, {"case_ids": sorted(case_ids)}))
    found = {case.id for case in locked}
    outcome.left += [case_id for case_id in case_ids if case_id not in found]
    live = [case for case in locked if case.status in _LIVE]
    outcome.left += [case.id for case in locked if case.status not in _LIVE]
    known = projection.Known.read(session, [case.id for case in live])
    now = clock.now()
    staged: list[Case] = []
    for case in live:
        try:
            workflow = cases.load(session, case)
            with running(case.id):
                if not projection.has_due_timer(workflow, now):
                    outcome.left.append(case.id)
                    continue
                fired = cases.step(workflow, case.id)
                # Taken here (get_events empties the queue): a case that sends messages
                # delivers them on the one-case path, which locks the receivers.
                if messages.outgoing(workflow.get_events()):
                    outcome.left.append(case.id)
                    continue
        except CaseFailed:
            outcome.left.append(case.id)  # nothing of it is in the session yet
            continue
        marked = {t.task_guid for t in known.timers[case.id] if t.marked_at is not None}
        outcome.fired += cases.record_fired(session, case.id, fired, marked)
        with running(case.id):
            cases.stage(session, host, case, workflow, known)
        staged.append(case)
    try:
        session.flush()
    except StaleDataError:
        raise TaskConflict("案件在批量触发定时器时被他人更新") from None
    for case in staged:
        cases.settle(session, host, case, [])
    return outcome
