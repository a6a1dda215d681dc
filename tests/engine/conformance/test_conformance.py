"""The conformance suite: one small diagram per element kind and variant (and some in the
style of the BPMN MIWG reference set), each deployed and driven through the engine as a
person would, its work items and end state compared with tests/engine/conformance/expected.py.
A diagram the engine does not run must be refused at deploy, naming the element and why."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from engine import cases, definitions, starts
from engine.errors import DeploymentRefused
from engine.host import Actor, CaseContext
from engine.models import Case, Timer, WorkItem
from tests.engine.conformance.expected import REFUSALS, RUNS, Run
from tests.engine.host import FakeHost

DIAGRAMS = Path(__file__).parent / "diagrams"
UNIT = 10
WORKER = Actor(7, "全能办理人")
START = datetime(2025, 6, 2, tzinfo=UTC)


def _text(name: str) -> bytes:
    return (DIAGRAMS / f"{name}.bpmn").read_bytes()


def test_every_diagram_has_an_expectation_and_there_are_enough() -> None:
    files = {p.stem for p in DIAGRAMS.glob("*.bpmn")}
    assert files == set(RUNS) | set(REFUSALS)
    assert not set(RUNS) & set(REFUSALS)
    assert len(files) >= 60 and len(RUNS) >= 50


def _open_items(session: Session, case: Case) -> list[WorkItem]:
    return list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.case_id == case.id, WorkItem.state == "open")
            .order_by(WorkItem.id)
        )
    )


def _item(session: Session, case: Case, bpmn_id: str) -> WorkItem:
    found = [i for i in _open_items(session, case) if i.bpmn_id == bpmn_id]
    assert found, f"no open item {bpmn_id}"
    return found[0]


def _check(session: Session, host: FakeHost, case: Case, step: tuple[Any, ...]) -> None:
    kind, *args = step
    where = f"step {step}"
    if kind == "open":
        actual = Counter(i.bpmn_id for i in _open_items(session, case))
        assert actual == Counter(args[0].split()), where
    elif kind == "do":
        item = _item(session, case, args[0])
        cases.complete_task(session, host, item.id, args[1], WORKER)
    elif kind == "later":
        clock.freeze(clock.now() + timedelta(hours=args[0]))
        cases.fire_due_timers(session, host, case.id)
    elif kind == "timers":
        timers = session.scalars(select(Timer.bpmn_id).where(Timer.case_id == case.id))
        assert Counter(timers) == Counter(args[0].split()), where
    elif kind == "lane":
        assert _item(session, case, args[0]).lane == args[1], where
    elif kind == "due":
        assert _item(session, case, args[0]).due_at is not None, where
    elif kind == "form":
        assert _item(session, case, args[0]).form_key == args[1], where
    elif kind == "status":
        assert (case.status, case.error_message) == (args[0], ""), where
    else:  # pragma: no cover (a mistake in the table)
        raise AssertionError(f"unknown step {step}")


@pytest.mark.parametrize("name", sorted(RUNS))
def test_a_diagram_runs_as_expected(db_session: Session, host: FakeHost, name: str) -> None:
    clock.freeze(START)
    run: Run = RUNS[name]
    definition, _ = definitions.deploy(db_session, _text(name), host, deployed_by="conformance")
    case = cases.start_case(
        db_session,
        host,
        definition.key,
        data=dict(run.data),
        context=CaseContext(owning_unit_id=UNIT),
        actor=WORKER,
        # A timer start event's case is started by the scheduler when the timer is due
        # (engine.starts; when that is: tests/campaign/test_case_starts.py).
        trigger=starts.timer_trigger if name.startswith("start_timer") else None,
    )
    for step in run.steps:
        _check(db_session, host, case, step)
        db_session.refresh(case)


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_a_diagram_the_engine_does_not_run_is_refused_by_name(
    db_session: Session, host: FakeHost, name: str
) -> None:
    element, reason = REFUSALS[name]
    with pytest.raises(DeploymentRefused) as refused:
        definitions.deploy(db_session, _text(name), host, deployed_by="conformance")
    findings = [(f.element_id, f.message) for f in refused.value.findings]
    assert any(eid == element and reason in message for eid, message in findings), findings
