import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.db import Database
from core.errors import InvalidInput
from engine import cases, definitions, runner, workitems
from engine.errors import CaseFailed, NotAllowed, TaskConflict
from engine.host import Assignment, CaseContext
from engine.models import Case, CaseStatus, ProcessDefinition, Timer, WorkItem
from tests.engine.conftest import OFFICER, OUTSIDER, REVIEWER, UNIT, diagram, start_rectify
from tests.engine.host import FakeHost

DEADLINE = "2022-07-31T18:00:00+08:00"


def open_items(session: Session, case: Case) -> list[WorkItem]:
    return list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.case_id == case.id, WorkItem.state == "open")
            .order_by(WorkItem.id)
        )
    )


def only_item(session: Session, case: Case) -> WorkItem:
    items = open_items(session, case)
    assert len(items) == 1, [i.bpmn_id for i in items]
    return items[0]


def test_a_started_case_projects_its_first_task(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    case = start_rectify(db_session, host, deadline=DEADLINE)
    assert case.status == CaseStatus.RUNNING.value
    item = only_item(db_session, case)
    assert (item.bpmn_id, item.title, item.form_key, item.lane) == (
        "register",
        "登记台账",
        "register",
        "经办人",
    )
    assert (item.unit_id, item.role, item.claimed_by, item.due_at) == (UNIT, "officer", None, None)
    state = json.loads(case.state)
    assert "spec" not in state and "subprocess_specs" not in state
    assert case.serializer_version == "1.5"
    assert [e.kind for e in cases.history(db_session, case.id)] == ["started"]


def test_the_straight_path_and_a_send_back(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    clock.freeze(datetime(2022, 7, 1, tzinfo=UTC))
    case = start_rectify(db_session, host, deadline=DEADLINE)
    cases.complete_task(db_session, host, only_item(db_session, case).id, {"amount": 1}, OFFICER)
    rectify = only_item(db_session, case)
    assert rectify.bpmn_id == "rectify"
    assert rectify.due_at == datetime(2022, 7, 31, 10, 0, tzinfo=UTC)
    cases.complete_task(db_session, host, rectify.id, {"measures": "退还资金"}, OFFICER)
    review = only_item(db_session, case)
    assert (review.bpmn_id, review.role) == ("review", "reviewer")
    cases.complete_task(db_session, host, review.id, {"approved": False}, REVIEWER)
    again = only_item(db_session, case)
    assert again.bpmn_id == "rectify" and again.id != rectify.id
    cases.complete_task(db_session, host, again.id, {"measures": "补发到位"}, OFFICER)
    cases.complete_task(
        db_session, host, only_item(db_session, case).id, {"approved": True}, REVIEWER
    )
    assert case.status == CaseStatus.COMPLETED.value and case.completed_at is not None
    assert open_items(db_session, case) == []
    assert db_session.scalars(select(Timer).where(Timer.case_id == case.id)).all() == []
    kinds = [(e.kind, e.bpmn_id, e.actor_name) for e in cases.history(db_session, case.id)]
    assert kinds[1] == ("task_completed", "register", "经办人甲")
    assert kinds[-1][0] == "completed"
    completed = [e for e in cases.history(db_session, case.id) if e.bpmn_id == "rectify"]
    assert [json.loads(e.data)["measures"] for e in completed] == ["退还资金", "补发到位"]


def test_completing_a_done_task_again_is_a_clear_conflict(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    case = start_rectify(db_session, host, deadline=DEADLINE)
    item = only_item(db_session, case)
    cases.complete_task(db_session, host, item.id, {}, OFFICER)
    with pytest.raises(TaskConflict, match="已办理完毕"):
        cases.complete_task(db_session, host, item.id, {}, OFFICER)


def test_people_outside_the_unit_and_role_cannot_act(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    case = start_rectify(db_session, host, deadline=DEADLINE)
    item = only_item(db_session, case)
    for actor in (OUTSIDER, REVIEWER):
        with pytest.raises(NotAllowed):
            cases.complete_task(db_session, host, item.id, {}, actor)
    assert item.state == "open"


def test_a_form_error_changes_nothing(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    case = start_rectify(db_session, host, deadline=DEADLINE)
    cases.complete_task(db_session, host, only_item(db_session, case).id, {}, OFFICER)
    item = only_item(db_session, case)
    state_before, version_before = case.state, case.lock_version
    with pytest.raises(InvalidInput) as invalid:
        cases.complete_task(db_session, host, item.id, {"measures": "  "}, OFFICER)
    assert invalid.value.fields == {"measures": "请填写整改措施"}
    assert (case.state, case.lock_version, item.state) == (state_before, version_before, "open")


def test_claim_unclaim_and_reassign(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    colleague = host.allow(type(OFFICER)(4, "经办人丁"), UNIT, "officer")
    case = start_rectify(db_session, host, deadline=DEADLINE)
    item = workitems.claim(db_session, host, only_item(db_session, case).id, OFFICER)
    assert item.claimed_by == OFFICER.id
    with pytest.raises(TaskConflict, match="已被他人认领"):
        cases.complete_task(db_session, host, item.id, {}, colleague)
    with pytest.raises(NotAllowed):
        workitems.unclaim(db_session, item.id, colleague)
    workitems.unclaim(db_session, item.id, OFFICER)
    with pytest.raises(InvalidInput, match="理由"):
        workitems.reassign(db_session, host, item.id, by=OFFICER, reason=" ", to_person=colleague)
    with pytest.raises(NotAllowed, match="无权"):
        workitems.reassign(db_session, host, item.id, by=OFFICER, reason="休假", to_person=OUTSIDER)
    workitems.reassign(db_session, host, item.id, by=OFFICER, reason="休假", to_person=colleague)
    assert item.claimed_by == colleague.id
    cases.complete_task(db_session, host, item.id, {}, colleague)
    kinds = [e.kind for e in cases.history(db_session, case.id)]
    assert kinds[:5] == ["started", "claimed", "unclaimed", "reassigned", "task_completed"]
    moved = workitems.reassign(
        db_session,
        host,
        only_item(db_session, case).id,
        by=OFFICER,
        reason="转交审核",
        to_assignment=Assignment(UNIT, "reviewer"),
    )
    assert (moved.role, moved.claimed_by) == ("reviewer", None)


def test_the_deadline_timer_fires_once_and_keeps_the_task(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    clock.freeze(datetime(2022, 7, 1, tzinfo=UTC))
    case = start_rectify(db_session, host, deadline=DEADLINE)
    cases.complete_task(db_session, host, only_item(db_session, case).id, {}, OFFICER)
    timer = db_session.scalars(select(Timer).where(Timer.case_id == case.id)).one()
    assert (timer.bpmn_id, timer.attached_to) == ("late", "rectify")
    assert timer.due_at == datetime(2022, 7, 31, 10, 0, tzinfo=UTC)
    assert cases.fire_due_timers(db_session, host, case.id) == 0
    clock.advance(timedelta(days=30, hours=10, seconds=1))
    assert cases.fire_due_timers(db_session, host, case.id) == 1
    assert cases.fire_due_timers(db_session, host, case.id) == 0
    item = only_item(db_session, case)
    # The task stays open and stays overdue: it keeps the deadline the timer fired at.
    assert item.bpmn_id == "rectify" and item.due_at == timer.due_at
    workflow = cases.load(db_session, case)
    assert workflow.get_data("overdue") is None  # the flag lives on the timer's branch
    fired = [e for e in cases.history(db_session, case.id) if e.kind == "timer_fired"]
    assert [(e.bpmn_id, e.title) for e in fired] == [("late", "整改期限届满")]
    assert db_session.scalars(select(Timer).where(Timer.case_id == case.id)).all() == []
    cases.complete_task(db_session, host, item.id, {"measures": "逾期后完成"}, OFFICER)
    assert only_item(db_session, case).bpmn_id == "review"


def test_a_script_error_rolls_back_and_the_runner_marks_the_case(
    db_session: Session, bound_database: Database, host: FakeHost
) -> None:
    definitions.deploy(
        db_session,
        diagram("rectify", **{"closed = True": "closed = 1 / 0"}),
        host,
        deployed_by="test",
    )
    case = start_rectify(db_session, host, deadline=DEADLINE)
    for actor, data in ((OFFICER, {}), (OFFICER, {"measures": "m"})):
        cases.complete_task(db_session, host, only_item(db_session, case).id, data, actor)
    review = only_item(db_session, case)
    db_session.commit()  # the state before the failing request
    before = (case.state, case.lock_version)
    with pytest.raises(CaseFailed, match="ZeroDivisionError"):
        runner.in_transaction(
            bound_database, host, cases.complete_task, review.id, {"approved": True}, REVIEWER
        )
    db_session.refresh(case)
    assert case.status == CaseStatus.ERROR.value and "ZeroDivisionError" in case.error_message
    assert case.state == before[0]
    assert only_item(db_session, case).id == review.id
    assert cases.history(db_session, case.id)[-1].kind == "error"
    assert host.changes[-1] == (case.id, CaseStatus.ERROR.value)  # the host heard of it


def test_a_script_that_slipped_past_deploy_is_refused_at_run_time(
    db_session: Session, host: FakeHost
) -> None:
    # Stored directly, as if an older release had let it through: the run-time guard holds.
    evil = diagram("rectify", **{"closed = True": "closed = ().__class__"})
    db_session.add(
        ProcessDefinition(
            key="test_rectify",
            version=1,
            name="evil",
            bpmn_xml=evil,
            sha256="0" * 64,
            deployed_by="legacy",
        )
    )
    db_session.flush()
    case = start_rectify(db_session, host, deadline=DEADLINE)
    for actor, data in ((OFFICER, {}), (OFFICER, {"measures": "m"})):
        cases.complete_task(db_session, host, only_item(db_session, case).id, data, actor)
    with pytest.raises(CaseFailed, match="安全规则"):
        cases.complete_task(
            db_session, host, only_item(db_session, case).id, {"approved": True}, REVIEWER
        )


def test_tasks_inside_a_call_activity_take_the_calling_lane(
    db_session: Session, host: FakeHost
) -> None:
    definitions.deploy(db_session, diagram("call_activity"), host, deployed_by="test")
    case = cases.start_case(
        db_session,
        host,
        "test_caller",
        data={},
        context=CaseContext(owning_unit_id=UNIT),
        actor=OFFICER,
    )
    item = only_item(db_session, case)
    assert (item.bpmn_id, item.lane, item.role, item.unit_id) == ("ack", "审核人", "reviewer", UNIT)
    cases.complete_task(db_session, host, item.id, {}, REVIEWER)
    assert case.status == CaseStatus.COMPLETED.value


def test_a_gateway_over_a_missing_variable_fails_the_case_not_the_data(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    case = start_rectify(db_session, host, deadline=DEADLINE)
    for actor, data in ((OFFICER, {}), (OFFICER, {"measures": "m"})):
        cases.complete_task(db_session, host, only_item(db_session, case).id, data, actor)
    with pytest.raises(CaseFailed, match="approved"):
        cases.complete_task(db_session, host, only_item(db_session, case).id, {}, REVIEWER)


def test_a_deadline_already_past_fires_at_once_and_is_recorded(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition
) -> None:
    clock.freeze(datetime(2022, 8, 1, tzinfo=UTC))
    case = start_rectify(db_session, host, deadline=DEADLINE)
    cases.complete_task(db_session, host, only_item(db_session, case).id, {}, OFFICER)
    # Created after its deadline: the timer fired at once, the task is overdue from the start.
    assert only_item(db_session, case).due_at == datetime(2022, 7, 31, 10, 0, tzinfo=UTC)
    assert [e.bpmn_id for e in cases.history(db_session, case.id) if e.kind == "timer_fired"] == [
        "late"
    ]


def test_a_loop_keeps_exactly_its_current_timer_projected(db_session: Session) -> None:
    """The benchmark's loop arms a 30-day boundary timer on every round (a new timer task
    each time); the projection follows it round after round and forgets it at the end."""
    from bench.engine.workload import ACTOR, PROCESS_ID, START_DATA, BenchHost, diagram_xml

    bench = BenchHost()
    clock.freeze(datetime(2022, 7, 1, tzinfo=UTC))
    definitions.deploy(db_session, diagram_xml(), bench, deployed_by="test")
    case = cases.start_case(
        db_session, bench, PROCESS_ID, data=START_DATA, context=CaseContext(UNIT), actor=ACTOR
    )
    seen: set[str] = set()
    for round_ in range(3):
        (timer,) = db_session.scalars(select(Timer).where(Timer.case_id == case.id))
        waiting = [
            t for t in cases.load(db_session, case).get_tasks() if str(t.id) == timer.task_guid
        ]
        assert waiting and waiting[0].task_spec.bpmn_id == timer.bpmn_id == "reminder"
        assert timer.attached_to == "handle" and timer.task_guid not in seen
        assert timer.due_at == clock.now() + timedelta(days=30)
        seen.add(timer.task_guid)
        clock.advance(timedelta(days=1))
        decision = "again" if round_ < 2 else "close"
        cases.complete_task(
            db_session,
            bench,
            only_item(db_session, case).id,
            {"decision": decision, "remark": "已核实"},
            ACTOR,
        )
    assert case.status == CaseStatus.COMPLETED.value
    assert db_session.scalars(select(Timer).where(Timer.case_id == case.id)).all() == []
