"""Kept workflows are used only while the row holds exactly the state they were stored as:
never a stale one, whoever changed the case."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import Database
from engine import cases, spiff, workflow_cache
from engine.models import Case, ProcessDefinition, WorkItem
from engine.runner import in_transaction
from tests.engine.conftest import OFFICER, start_rectify
from tests.engine.host import FakeHost


@pytest.fixture
def restores(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many times a state was restored from its text."""
    workflow_cache.clear()
    count: list[int] = []
    real = spiff.load_workflow

    def counted(*args: object, **kwargs: object) -> object:
        count.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(spiff, "load_workflow", counted)
    yield count
    workflow_cache.clear()


def _open_item(session: Session, case_id: int) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == case_id, WorkItem.state == "open")
    ).one()


def test_the_next_step_uses_the_workflow_just_stored(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition, restores: list[int]
) -> None:
    case = start_rectify(db_session, host, deadline="2022-07-31")
    cases.complete_task(db_session, host, _open_item(db_session, case.id).id, {}, OFFICER)
    item = _open_item(db_session, case.id)
    cases.complete_task(db_session, host, item.id, {"measures": "退还"}, OFFICER)
    assert restores == []
    assert _open_item(db_session, case.id).bpmn_id == "review"


def test_a_state_written_by_anyone_else_is_restored_not_served_from_memory(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition, restores: list[int]
) -> None:
    first = start_rectify(db_session, host, deadline="2022-07-31")
    other = start_rectify(db_session, host, deadline="2022-07-31")
    cases.complete_task(db_session, host, _open_item(db_session, other.id).id, {}, OFFICER)
    # Another writer (another process, a migration) puts a different state in the row: here
    # the state of another case one step further: the kept workflow's task is not in it.
    db_session.flush()
    moved = db_session.scalar(select(Case.state).where(Case.id == other.id))
    db_session.execute(update(Case).where(Case.id == first.id).values(state=moved))
    item = _open_item(db_session, first.id)
    with pytest.raises(Exception, match="not found"):
        cases.complete_task(db_session, host, item.id, {}, OFFICER)
    assert restores == [1]


def test_a_completion_rolled_back_leaves_nothing_behind(
    bound_database: Database,
    db_session: Session,
    host: FakeHost,
    rectify_definition: ProcessDefinition,
    restores: list[int],
) -> None:
    case = start_rectify(db_session, host, deadline="2022-07-31")
    db_session.commit()
    item_id = _open_item(db_session, case.id).id

    class Refused(Exception):
        pass

    with pytest.raises(Refused), bound_database.transaction() as session:
        cases.complete_task(session, host, item_id, {}, OFFICER)
        raise Refused  # after the step was stored and kept: the whole step rolls back
    # The row holds the state from before; the kept workflow (one step further) is not used.
    in_transaction(bound_database, host, cases.complete_task, item_id, {}, OFFICER)
    assert len(restores) == 1
    db_session.expire_all()
    assert _open_item(db_session, case.id).bpmn_id == "rectify"
    review_later = _open_item(db_session, case.id)
    in_transaction(
        bound_database, host, cases.complete_task, review_later.id, {"measures": "x"}, OFFICER
    )
    db_session.expire_all()
    assert _open_item(db_session, case.id).role == "reviewer"


def test_data_that_would_not_come_back_as_it_is_is_not_kept(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition, restores: list[int]
) -> None:
    case = start_rectify(db_session, host, deadline="2022-07-31", checked={"村委会"})
    cases.complete_task(db_session, host, _open_item(db_session, case.id).id, {}, OFFICER)
    assert restores == [1]  # a set is stored as a list: the workflow is restored from the text


def test_reading_a_case_leaves_its_kept_workflow_for_the_next_step(
    db_session: Session, host: FakeHost, rectify_definition: ProcessDefinition, restores: list[int]
) -> None:
    case = start_rectify(db_session, host, deadline="2022-07-31")
    cases.complete_task(db_session, host, _open_item(db_session, case.id).id, {}, OFFICER)
    looked_at = cases.restored(db_session, case)  # the case page's waits, read only
    assert restores == [1]
    assert [t.task_spec.bpmn_id for t in looked_at.get_tasks(manual=True)][-1] == "rectify"
    item = _open_item(db_session, case.id)
    cases.complete_task(db_session, host, item.id, {"measures": "退还"}, OFFICER)
    assert restores == [1]  # the completion took the kept workflow, not a second restore
    assert _open_item(db_session, case.id).bpmn_id == "review"
