"""One runner for every failing case: a case that cannot run is marked in error in a
transaction of its own, and the other cases of the same sweep go on."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.db import Database
from engine import cases, definitions, scheduler
from engine.host import CaseContext
from engine.models import Case, CaseEvent, CaseStatus, WorkItem
from tests.engine.conftest import OFFICER, UNIT, diagram
from tests.engine.host import FakeHost

DEADLINE = "2022-07-31T18:00:00+08:00"

# The overdue branch of the test diagram made unrunnable: its script reads a field that no
# case has, which deploys (a field may come with the data) and fails when the timer fires.
POISON = {
    'id="test_rectify"': 'id="test_poison"',
    'processRef="test_rectify"': 'processRef="test_poison"',
    "<bpmn:script>overdue = True\n": "<bpmn:script>overdue = never_given + 1\n",
}


def _at_rectify(session: Session, host: FakeHost, key: str) -> Case:
    case = cases.start_case(
        session,
        host,
        key,
        data={"deadline": DEADLINE},
        context=CaseContext(owning_unit_id=UNIT),
        actor=OFFICER,
    )
    item = session.scalars(select(WorkItem).where(WorkItem.case_id == case.id)).one()
    cases.complete_task(session, host, item.id, {}, OFFICER)
    return case


def test_a_poison_case_is_marked_in_error_and_the_others_fire_in_the_same_sweep(
    db_session: Session, bound_database: Database, host: FakeHost
) -> None:
    clock.freeze(datetime(2022, 7, 1, tzinfo=UTC))
    definitions.deploy(db_session, diagram("rectify"), host, deployed_by="test")
    definitions.deploy(db_session, diagram("rectify", **POISON), host, deployed_by="test")
    poison = _at_rectify(db_session, host, "test_poison")  # swept first: the lower id
    healthy = _at_rectify(db_session, host, "test_rectify")
    db_session.commit()
    clock.freeze(datetime(2022, 8, 1, tzinfo=UTC))

    result = scheduler.sweep_timers(bound_database, host)

    assert result.failed == [poison.id] and result.fired == 1
    db_session.expire_all()
    assert db_session.get(Case, poison.id).status == CaseStatus.ERROR.value  # type: ignore[union-attr]
    message = db_session.get(Case, poison.id).error_message  # type: ignore[union-attr]
    assert "流程执行出错" in message and "never_given" in message
    fired = db_session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == healthy.id, CaseEvent.kind == "timer_fired")
    ).all()
    assert len(fired) == 1
    assert (poison.id, CaseStatus.ERROR.value) in host.changes
    # The next tick does not trip over it again: a case in error has no timers left to fire.
    assert scheduler.sweep_timers(bound_database, host).failed == []
