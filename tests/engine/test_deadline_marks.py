"""Deadline marks: a boundary timer that leads straight to an end event is recorded by the
sweep without running the case, once, and the case goes on as if the engine had fired it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.db import Database
from engine import cases, deadline_marks, definitions, scheduler, waits, workitems
from engine.host import CaseContext
from engine.models import Case, CaseEvent, CaseStatus, Timer, WorkItem
from tests.engine.conftest import OFFICER, UNIT, diagram
from tests.engine.host import FakeHost

BEFORE = datetime(2026, 6, 1, tzinfo=UTC)
AFTER = datetime(2026, 6, 2, tzinfo=UTC)
LATER = datetime(2026, 6, 20, tzinfo=UTC)
SCRIPTED = {  # the same deadline with work on its branch: the engine fires it
    'id="test_deadline"': 'id="test_scripted"',
    'processRef="test_deadline"': 'processRef="test_scripted"',
}
POISON = {
    'id="test_deadline"': 'id="test_poison"',
    'processRef="test_deadline"': 'processRef="test_poison"',
    "<bpmn:script>overdue = True</bpmn:script>": "<bpmn:script>overdue = never_given</bpmn:script>",
}


@pytest.fixture(autouse=True)
def _deployed(db_session: Session, host: FakeHost) -> None:
    for text in (diagram("deadline_mark"), diagram("deadline", **SCRIPTED)):
        definitions.deploy(db_session, text, host, deployed_by="test")


def start(session: Session, host: FakeHost, count: int, key: str = "test_mark") -> list[int]:
    clock.freeze(BEFORE)
    return [
        cases.start_case(
            session,
            host,
            key,
            data={"deadline": "2026-06-01"},
            context=CaseContext(owning_unit_id=UNIT),
            actor=OFFICER,
        ).id
        for _ in range(count)
    ]


def fired(session: Session) -> Counter[int]:
    session.expire_all()
    return Counter(
        session.scalars(select(CaseEvent.case_id).where(CaseEvent.kind == "timer_fired"))
    )


def open_item(session: Session, case_id: int) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open")
    ).one()


def test_only_a_non_interrupting_timer_straight_to_an_end_is_a_mark(
    db_session: Session, host: FakeHost
) -> None:
    variants = {
        "test_interrupting": {'cancelActivity="false"': 'cancelActivity="true"'},
        "test_cycle": {
            '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">deadline + "T23:59:59+08:00"'
            "</bpmn:timeDate>": '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R3/'
            '2026-06-01T00:00:00+08:00/P1D"</bpmn:timeCycle>'
        },
    }
    for key, changes in variants.items():
        changes |= {
            'id="test_mark"': f'id="{key}"',
            'processRef="test_mark"': f'processRef="{key}"',
        }
        definitions.deploy(db_session, diagram("deadline_mark", **changes), host, deployed_by="t")
    marks = {key: start(db_session, host, 1, key)[0] for key in [*variants, "test_mark"]}
    scripted = start(db_session, host, 1, "test_scripted")[0]
    rows = {t.case_id: t for t in db_session.scalars(select(Timer))}
    assert {key: rows[case_id].marks_only for key, case_id in marks.items()} == {
        "test_interrupting": False,
        "test_cycle": False,
        "test_mark": True,
    }
    assert rows[scripted].marks_only is False
    assert rows[marks["test_mark"]].title == "整改时限届满"


def test_a_day_of_marks_is_recorded_without_running_a_case(
    db_session: Session, bound_database: Database, host: FakeHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    marks = start(db_session, host, 130)
    scripted = start(db_session, host, 4, "test_scripted")
    db_session.commit()
    before = {c.id: (c.lock_version, c.state) for c in db_session.scalars(select(Case))}
    monkeypatch.setattr(deadline_marks, "MARK_BATCH", 50)  # three transactions
    clock.freeze(AFTER)

    result = scheduler.sweep_timers(bound_database, host)

    assert (result.marked, result.fired, result.failed) == (130, 4, [])
    assert fired(db_session) == Counter({case_id: 1 for case_id in marks + scripted})
    for case in db_session.scalars(select(Case).where(Case.id.in_(marks))):
        assert (case.lock_version, case.state) == before[case.id]  # not run
    event = db_session.scalars(select(CaseEvent).where(CaseEvent.case_id == marks[0])).all()[-1]
    assert (event.title, event.bpmn_id, event.actor_name) == (
        "整改时限届满",
        "rectify_overdue",
        "系统",
    )
    # 逾期 is the open item past its due time: every one of them, marked or fired.
    overdue = db_session.scalars(select(WorkItem.case_id).where(workitems.overdue())).all()
    assert sorted(overdue) == sorted(marks + scripted)
    again = scheduler.sweep_timers(bound_database, host)
    assert (again.marked, again.fired) == (0, 0)
    assert fired(db_session) == Counter({case_id: 1 for case_id in marks + scripted})


def test_a_marked_deadline_stays_once_in_the_history_when_the_task_is_completed(
    db_session: Session, bound_database: Database, host: FakeHost
) -> None:
    case_id = start(db_session, host, 1)[0]
    db_session.commit()
    clock.freeze(AFTER)
    assert scheduler.sweep_timers(bound_database, host).marked == 1

    item = open_item(db_session, case_id)
    cases.complete_task(
        db_session, host, item.id, {"measures": "逾期后完成", "again": False}, OFFICER
    )

    assert fired(db_session) == Counter({case_id: 1})
    assert db_session.get(Case, case_id).status == CaseStatus.COMPLETED.value  # type: ignore[union-attr]
    assert db_session.scalars(select(Timer).where(Timer.case_id == case_id)).all() == []


def test_a_marked_deadline_the_engine_fires_later_is_not_recorded_again(
    db_session: Session, host: FakeHost
) -> None:
    case_id = start(db_session, host, 1)[0]
    clock.freeze(AFTER)
    deadline_marks.mark_due(db_session, clock.now(), [case_id])

    # The one-case path runs the case: the engine fires the waiting (due) timer itself.
    assert cases.fire_due_timers(db_session, host, case_id) == 0

    assert fired(db_session) == Counter({case_id: 1})
    assert db_session.scalars(select(Timer).where(Timer.case_id == case_id)).all() == []
    assert open_item(db_session, case_id).bpmn_id == "rectify"


def test_a_deadline_armed_again_is_marked_again(
    db_session: Session, bound_database: Database, host: FakeHost
) -> None:
    """A loop arms the boundary timer anew (a new task, its row reused): the new deadline is
    a mark of its own, not one already marked."""
    case_id = start(db_session, host, 1)[0]
    db_session.commit()
    clock.freeze(AFTER)
    assert scheduler.sweep_timers(bound_database, host).marked == 1
    item = open_item(db_session, case_id)
    data = {"measures": "申请延期", "again": True, "deadline": "2026-06-15"}
    cases.complete_task(db_session, host, item.id, data, OFFICER)
    db_session.commit()
    timer = db_session.scalars(select(Timer).where(Timer.case_id == case_id)).one()
    assert timer.marked_at is None and timer.marks_only

    clock.freeze(LATER)
    assert scheduler.sweep_timers(bound_database, host).marked == 1
    assert fired(db_session) == Counter({case_id: 2})


def test_a_poison_case_fails_alone_and_the_marks_of_the_tick_are_made(
    db_session: Session, bound_database: Database, host: FakeHost
) -> None:
    definitions.deploy(db_session, diagram("deadline", **POISON), host, deployed_by="test")
    marks = start(db_session, host, 10)
    poison = start(db_session, host, 1, "test_poison")
    scripted = start(db_session, host, 3, "test_scripted")
    in_error = start(db_session, host, 1)
    db_session.get(Case, in_error[0]).status = CaseStatus.ERROR.value  # type: ignore[union-attr]
    db_session.commit()
    clock.freeze(AFTER)

    result = scheduler.sweep_timers(bound_database, host)

    assert (result.marked, result.fired, result.failed) == (10, 3, poison)
    assert fired(db_session) == Counter({case_id: 1 for case_id in marks + scripted})
    assert db_session.get(Case, poison[0]).status == CaseStatus.ERROR.value  # type: ignore[union-attr]
    # A case in error is not marked: the one-case path tidied its timer away instead.
    assert db_session.scalars(select(Timer).where(Timer.case_id == in_error[0])).all() == []


def test_the_case_page_no_longer_waits_for_a_deadline_past_due(
    db_session: Session, host: FakeHost
) -> None:
    case_id = start(db_session, host, 1)[0]
    case = db_session.get(Case, case_id)
    assert case is not None
    assert [w.kind for w in waits.of_workflow(cases.load(db_session, case))] == ["timer"]
    clock.freeze(AFTER)
    deadline_marks.mark_due(db_session, clock.now(), [case_id])
    assert waits.of_workflow(cases.load(db_session, case)) == []
