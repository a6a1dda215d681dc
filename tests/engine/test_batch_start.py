"""Starting many cases at once must give exactly what starting them one by one gives."""

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from engine import cases, definitions
from engine.batch_start import NewCase, NewWork, StartedCase, can_start_together, start_cases
from engine.host import CaseContext
from engine.models import Case, CaseEvent, ProcessDefinition, WorkItem, WorkItemState
from tests.engine.conftest import OFFICER, UNIT, diagram
from tests.engine.host import FakeHost

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SCRIPT_FIRST = {
    '"test_rectify"': '"test_prepare"',
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="register"/>': (
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare"/>'
        '<bpmn:scriptTask id="prepare" name="准备"><bpmn:incoming>f1</bpmn:incoming>'
        "<bpmn:outgoing>f1b</bpmn:outgoing><bpmn:script>doubled = amount * 2</bpmn:script>"
        "</bpmn:scriptTask>"
        '<bpmn:sequenceFlow id="f1b" sourceRef="prepare" targetRef="register"/>'
    ),
    "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>": (
        "<bpmn:incoming>f1b</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
    ),
}
TIMER_FIRST = {
    '"test_rectify"': '"test_timer_first"',
    'sourceRef="start" targetRef="register"': 'sourceRef="start" targetRef="rectify"',
}


def entries(count: int) -> list[NewCase]:
    return [
        NewCase(
            data={
                "amount": 100 * (n + 1),
                # A state is filled in by %-formatting: the data's "%" must stay as it is.
                "description": f"第{n}户补贴被代领=SUM(A1)，占 100%（%s）",
                "found": datetime(2022, 6, n + 1, 9, 30, tzinfo=UTC),
                "deadline": f"2022-07-{n + 10}T18:00:00+08:00",
                "tags": ["一卡通", n],
            },
            context=CaseContext(owning_unit_id=UNIT + n, subject_type="problem", subject_id=n),
        )
        for n in range(count)
    ]


def one_by_one(session: Session, host: FakeHost, key: str, news: list[NewCase]) -> list[int]:
    return [
        cases.start_case(session, host, key, data=n.data, context=n.context, actor=OFFICER).id
        for n in news
    ]


def comparable_state(state: str) -> dict[str, Any]:
    """The state with its task ids numbered in order of appearance and times left out."""
    numbers: dict[str, str] = {}
    renumbered = UUID.sub(lambda m: numbers.setdefault(m.group(), f"task-{len(numbers)}"), state)
    dct: dict[str, Any] = json.loads(renumbered)
    for task in dct["tasks"].values():
        task.pop("last_state_change")
    return dct


def ids(started: list[StartedCase]) -> list[int]:
    return [case.id for case in started]


def as_stored(session: Session, case_id: int) -> StartedCase:
    """A started case as the database has it: its status and its open work items."""
    case = session.get(Case, case_id)
    assert case is not None
    items = session.scalars(
        select(WorkItem)
        .where(WorkItem.case_id == case_id, WorkItem.state == WorkItemState.OPEN.value)
        .order_by(WorkItem.id)
    )
    work = tuple(NewWork(i.id, i.bpmn_id, i.title, i.unit_id, i.role) for i in items)
    return StartedCase(case.id, case.status, work)


def describe(session: Session, case_id: int) -> dict[str, Any]:
    """Everything a started case consists of, apart from ids and times."""
    case = session.get(Case, case_id)
    assert case is not None
    # In the order written: without ORDER BY, PostgreSQL may return rows in any order.
    items = session.scalars(
        select(WorkItem).where(WorkItem.case_id == case_id).order_by(WorkItem.id)
    ).all()
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    ).all()
    workflow = cases.load(session, case)
    return {
        "case": (
            case.definition_id,
            case.status,
            case.serializer_version,
            case.owning_unit_id,
            case.subject_type,
            case.subject_id,
            case.started_by,
        ),
        "state": comparable_state(case.state),
        "ready": sorted(
            (t.task_spec.bpmn_id, json.dumps(t.data, default=str, sort_keys=True))
            for t in workflow.get_tasks(state=16)
        ),
        "items": [
            (i.bpmn_id, i.title, i.form_key, i.lane, i.unit_id, i.role, i.state, i.due_at)
            for i in items
        ],
        "events": [(e.kind, e.actor_name, e.data, e.message) for e in events],
    }


def test_cases_started_together_equal_cases_started_one_by_one(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    # A set is stored as a list, as the serializer does for a case started alone.
    assert can_start_together(db_session, "test_rectify")
    news = [NewCase({**n.data, "checked": {"村委会"}}, n.context) for n in entries(3)]
    together = ids(start_cases(db_session, host, "test_rectify", news, actor=OFFICER))
    alone = one_by_one(db_session, host, "test_rectify", news)
    db_session.expire_all()
    for batch_id, single_id in zip(together, alone, strict=True):
        assert describe(db_session, batch_id) == describe(db_session, single_id)
    first = describe(db_session, together[0])
    assert first["items"][0][:2] == ("register", "登记台账")
    assert "=SUM(A1)" in first["events"][0][2] and "2022-06-01 09:30" in first["events"][0][2]
    assert json.loads(first["ready"][0][1])["description"].endswith("占 100%（%s）")


def test_every_case_gets_task_ids_of_its_own(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    started = ids(start_cases(db_session, host, "test_rectify", entries(4), actor=OFFICER))
    states = db_session.scalars(select(Case.state).where(Case.id.in_(started))).all()
    task_ids = [set(UUID.findall(state)) for state in states]
    assert all(len(found) >= 3 for found in task_ids)
    assert len(set.union(*task_ids)) == sum(len(found) for found in task_ids)
    guids = db_session.scalars(
        select(WorkItem.task_guid).where(WorkItem.case_id.in_(started))
    ).all()
    assert len(set(guids)) == 4
    assert all(uuid.UUID(guid).version == 4 for guid in guids)
    assert all(guid in state for guid, state in zip(guids, states, strict=True))


def test_a_case_started_together_goes_on_like_any_other(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    clock.freeze(datetime(2022, 7, 1, tzinfo=UTC))
    case_id = start_cases(db_session, host, "test_rectify", entries(2), actor=OFFICER)[1].id
    host.allow(OFFICER, UNIT + 1, "officer")  # the second entry's unit
    item = db_session.scalars(select(WorkItem).where(WorkItem.case_id == case_id)).one()
    cases.complete_task(db_session, host, item.id, {"amount": 5}, OFFICER)
    following = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open")
    ).one()
    # The deadline comes from this case's own data (the second entry: 11 July).
    assert following.bpmn_id == "rectify"
    assert following.due_at == datetime(2022, 7, 11, 10, 0, tzinfo=UTC)


def test_a_start_that_runs_a_script_starts_each_case_on_its_own_data(
    db_session: Session, host: FakeHost
) -> None:
    definitions.deploy(db_session, diagram("rectify", **SCRIPT_FIRST), host, deployed_by="test")
    assert not can_start_together(db_session, "test_prepare")
    news = entries(3)
    together = ids(start_cases(db_session, host, "test_prepare", news, actor=OFFICER))
    alone = one_by_one(db_session, host, "test_prepare", news)
    db_session.expire_all()
    for batch_id, single_id in zip(together, alone, strict=True):
        assert describe(db_session, batch_id) == describe(db_session, single_id)
    doubled = [
        json.loads(row[1])["doubled"]
        for batch_id in together
        for row in describe(db_session, batch_id)["ready"]
    ]
    assert doubled == [200, 400, 600]


def test_a_first_task_with_a_deadline_gets_each_cases_own_due_time(
    db_session: Session, host: FakeHost
) -> None:
    clock.freeze(datetime(2022, 7, 1, tzinfo=UTC))
    definitions.deploy(db_session, diagram("rectify", **TIMER_FIRST), host, deployed_by="test")
    assert not can_start_together(db_session, "test_timer_first")
    together = ids(start_cases(db_session, host, "test_timer_first", entries(2), actor=OFFICER))
    due = db_session.scalars(
        select(WorkItem.due_at).where(WorkItem.case_id.in_(together)).order_by(WorkItem.case_id)
    ).all()
    assert due == [
        datetime(2022, 7, 10, 10, 0, tzinfo=UTC),
        datetime(2022, 7, 11, 10, 0, tzinfo=UTC),
    ]


def test_nothing_to_start_starts_nothing(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    assert start_cases(db_session, host, "test_rectify", [], actor=OFFICER) == []


def test_what_a_start_returns_is_what_it_stored(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    """The import takes the entries' statuses and its notices from what start_cases
    returns, without reading the cases back: together or one by one, it must be the
    database's own account of each case."""
    definitions.deploy(db_session, diagram("rectify", **SCRIPT_FIRST), host, deployed_by="test")
    for key in ("test_rectify", "test_prepare"):
        started = start_cases(db_session, host, key, entries(3), actor=OFFICER)
        db_session.expire_all()
        assert started == [as_stored(db_session, case.id) for case in started]
        assert all(len(case.waiting_on) == 1 for case in started)
        assert len({work.id for case in started for work in case.waiting_on}) == 3
