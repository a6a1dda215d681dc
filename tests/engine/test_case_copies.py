"""A copy of a stored case must be what starting the case with the copy's values gives, and
go on from there as that case would."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import bulk
from engine import cases
from engine.case_copies import CaseTemplate, Copy
from engine.host import CaseContext
from engine.models import Case, CaseEvent, ProcessDefinition, Timer, WorkItem
from tests.engine.conftest import OFFICER, UNIT
from tests.engine.host import FakeHost
from tests.engine.test_batch_start import describe

DATA = {
    "amount": 100,
    "village": "V01",
    "note": "占 100%（%s）",
    "larger": 1005,
    "deadline": "2022-07-10T18:00:00+08:00",
}


def start(session: Session, host: FakeHost, unit: int, **data: object) -> Case:
    return cases.start_case(
        session,
        host,
        "test_rectify",
        data={**DATA, **data},
        context=CaseContext(owning_unit_id=unit, subject_type="problem", subject_id=7),
        actor=OFFICER,
    )


def copy_of(session: Session, template: CaseTemplate, unit: int, **tokens: str) -> int:
    case_id = bulk.reserve_ids(session, Case, 1)[0]
    rows = template.rows_for(
        Copy(
            case_id=case_id,
            subject_id=7,
            tokens=[tokens["amount"], tokens["village"]],
            units={UNIT: unit},
            users={},
            user_names={},
        )
    )
    bulk.insert_rows(session, Case, [rows.case])
    bulk.insert_rows(session, WorkItem, rows.work_items)
    bulk.insert_rows(session, CaseEvent, rows.events)
    bulk.insert_rows(session, Timer, rows.timers)
    session.expire_all()
    return case_id


def open_item(session: Session, case_id: int) -> int:
    return session.scalars(
        select(WorkItem.id).where(WorkItem.case_id == case_id, WorkItem.state == "open")
    ).one()


def test_a_copy_equals_the_case_started_with_its_values_and_goes_on_alike(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    original = start(db_session, host, UNIT)
    template = CaseTemplate(db_session, original.id, ['"amount": 100', '"village": "V01"'])
    copied = copy_of(
        db_session, template, UNIT + 1, amount='"amount": 700', village='"village": "V02"'
    )
    alone = start(db_session, host, UNIT + 1, amount=700, village="V02").id
    db_session.expire_all()
    assert describe(db_session, copied) == describe(db_session, alone)
    timers = [
        db_session.scalars(select(Timer.due_at).where(Timer.case_id == case_id)).all()
        for case_id in (copied, alone)
    ]
    assert timers[0] == timers[1]
    for case_id in (copied, alone):
        item = db_session.get(WorkItem, open_item(db_session, case_id))
        assert item is not None and item.unit_id == UNIT + 1
        host.allow(OFFICER, item.unit_id, item.role)
        data = {"measures": "已整改", "ok": 1}
        cases.complete_task(db_session, host, item.id, data, OFFICER)
    db_session.expire_all()
    assert describe(db_session, copied) == describe(db_session, alone)
    timers = [
        db_session.scalars(select(Timer.due_at).where(Timer.case_id == case_id)).all()
        for case_id in (copied, alone)
    ]
    assert timers[0] == timers[1]
    state = db_session.get(Case, copied)
    assert state is not None and '"larger": 1005' in state.state and '"amount": 700' in state.state
    # Only whole tokens are replaced: 1005 is not "100" followed by more digits.
    assert '"amount": 100' not in state.state
