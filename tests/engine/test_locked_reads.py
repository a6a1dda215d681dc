"""What a step reads after its case's lock: the item, the case's open items and its timers,
in one statement, each row once however many of the others there are."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import case_locks, cases
from engine.models import ProcessDefinition, Timer, WorkItem
from tests.engine.conftest import OFFICER, start_rectify
from tests.engine.host import FakeHost
from tests.test_held_rows import counted


def _open_item(session: Session, case_id: int) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open")
    ).one()


def test_a_step_of_a_case_with_a_deadline_reads_its_timers_with_its_items(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    case = start_rectify(db_session, host, deadline="2099-12-31")
    cases.complete_task(db_session, host, _open_item(db_session, case.id).id, {}, OFFICER)
    [timer] = db_session.scalars(select(Timer).where(Timer.case_id == case.id))
    rectify = _open_item(db_session, case.id)
    assert rectify.bpmn_id == "rectify"
    db_session.flush()
    with counted(db_session) as seen:
        cases.complete_task(db_session, host, rectify.id, {"measures": "退还"}, OFFICER)
        db_session.flush()
    reads = [s for s in seen if s.startswith("SELECT") and "case_timer" in s]
    assert len(reads) == 1, seen
    assert "FROM work_item LEFT OUTER JOIN case_timer" in reads[0]  # the items' statement
    assert db_session.scalars(select(Timer).where(Timer.case_id == case.id)).all() == []
    assert timer not in db_session  # the timer's row went with the step that left its task


def test_items_and_timers_come_back_once_each_however_many_of_both(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    case = start_rectify(db_session, host, deadline="2099-12-31")
    cases.complete_task(db_session, host, _open_item(db_session, case.id).id, {}, OFFICER)
    rectify = _open_item(db_session, case.id)
    due = datetime(2022, 8, 1, tzinfo=UTC)
    for n in range(2):
        db_session.add(Timer(case_id=case.id, task_guid=f"extra-{n}", bpmn_id="x", due_at=due))
        db_session.add(
            WorkItem(
                case_id=case.id,
                task_guid=f"extra-{n}",
                bpmn_id="x",
                title="另一项",
                form_key="",
                lane="经办人",
                unit_id=rectify.unit_id,
                role=rectify.role,
                state="open",
            )
        )
    db_session.flush()
    with counted(db_session) as seen:
        locked = case_locks.locked_item_and_open(db_session, rectify.id)
    # the lock (PostgreSQL; on SQLite the transaction holds the write lock), then the case,
    # its items and its timers
    assert len(seen) == (1 if db_session.get_bind().dialect.name == "sqlite" else 2), seen
    assert "FOR UPDATE" not in seen[-1] and "case_instance.state" in seen[-1]
    rows = db_session.execute(case_locks._item_and_open(None), {"item_id": rectify.id}).all()
    assert len(rows) == 5  # the item once a timer, the two others once: not 3 × 3
    assert locked.item is rectify and locked.case.id == case.id
    assert len(locked.open_items) == 3 == len({i.id for i in locked.open_items})
    assert {"extra-0", "extra-1"} < {t.task_guid for t in locked.timers}
    assert len(locked.timers) == 3 == len({t.id for t in locked.timers})
