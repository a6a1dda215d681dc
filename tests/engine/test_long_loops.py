"""A case that goes round a loop many times (send-back after send-back) keeps working, and
past the engine's limit it stops with a clear error instead of going wrong quietly.

Each round of the loop diagram adds ten levels to SpiffWorkflow's task tree, as about three
send-backs of the problem lifecycle would, so a few hundred completions reach the depths
where SpiffWorkflow alone went wrong."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import cases, definitions, spiff
from engine.errors import CaseFailed
from engine.host import CaseContext
from engine.models import Case, CaseStatus, WorkItem
from tests.engine.conftest import OFFICER, UNIT, diagram
from tests.engine.host import FakeHost


def start_loop(session: Session, host: FakeHost) -> Case:
    definitions.deploy(session, diagram("loop"), host, deployed_by="test")
    return cases.start_case(
        session, host, "test_loop", data={}, context=CaseContext(UNIT), actor=OFFICER
    )


def go_round(session: Session, host: FakeHost, case: Case, *, again: bool) -> None:
    item = session.scalars(
        select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.state == "open")
    ).one()
    assert item.bpmn_id == "ask"
    cases.complete_task(session, host, item.id, {"again": again}, OFFICER)


def test_a_case_goes_round_a_loop_over_a_hundred_times_and_still_finishes(
    db_session: Session, host: FakeHost
) -> None:
    # SpiffWorkflow alone stops its tree walks at depth 1,000: past about 100 rounds here
    # (250 send-backs of the lifecycle) it no longer saw the open task and took the case
    # for completed; its recursive walks up the tree hit Python's recursion limit as well.
    case = start_loop(db_session, host)
    for _ in range(110):
        go_round(db_session, host, case, again=True)
    assert case.status == CaseStatus.RUNNING.value
    go_round(db_session, host, case, again=False)
    assert case.status == CaseStatus.COMPLETED.value


def test_past_the_limit_a_case_stops_with_a_clear_error(
    db_session: Session, host: FakeHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spiff, "MAX_TASKS", 100)
    case = start_loop(db_session, host)
    with pytest.raises(CaseFailed, match="流程往复次数过多") as refused:
        for _ in range(20):
            go_round(db_session, host, case, again=True)
    assert refused.value.case_id == case.id
    assert "上限 100" in refused.value.message
