"""What a completion no longer reads twice must still be what the database holds: rows held by
the session are taken only while loaded, a unit looked up by code again only while it still
has that code, and a case's open steps from its last projection only while it holds the state
that projection stored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from campaign import choices, org, problems, tasks
from campaign.models import Problem, Unit
from campaign.workflow_host import CampaignHost
from core import clock, held_rows
from core.errors import NotFound
from engine import cases, definitions, projection
from engine.cases import Completion
from engine.host import CaseContext
from engine.models import Case, WorkItem
from forms.definition import SubmissionInvalid
from tests.campaign.conftest import approval, do, registered, registration, user
from tests.engine.conformance.test_conformance import DIAGRAMS as CONFORMANCE
from tests.engine.conformance.test_conformance import UNIT, WORKER
from tests.engine.host import FakeHost


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
            statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_rows_held_are_taken_and_the_rest_read_in_one_statement(db_session: Session) -> None:
    units = list(db_session.scalars(select(Unit).order_by(Unit.id).limit(3)))
    held, other = units[0], units[1]
    held_id, other_id = held.id, other.id
    db_session.expire(other)  # held by the session, but no longer loaded
    with counted(db_session) as statements:
        found = held_rows.by_ids(db_session, Unit, [held_id, other_id, 10**9])
    assert set(found) == {held_id, other_id} and found[held_id] is held
    assert len(statements) == 1 and "IN" in statements[0]
    with counted(db_session) as statements:
        again = held_rows.by_ids(db_session, Unit, [held_id, other_id])
    assert again == found and statements == []


def test_a_unit_is_found_again_by_code_only_while_it_has_that_code(db_session: Session) -> None:
    unit = org.unit_by_code(db_session, "QSZ")
    with counted(db_session) as statements:
        assert org.unit_by_code(db_session, "QSZ") is unit
    assert statements == []
    unit.code = "QSZX"
    db_session.flush()
    with pytest.raises(NotFound):
        org.unit_by_code(db_session, "QSZ")
    assert org.unit_by_code(db_session, "QSZX") is unit
    db_session.rollback()  # the rename is undone: the unit is found by its code again
    assert org.unit_by_code(db_session, "QSZ").code == "QSZ"


def _open_steps_in_db(session: Session, case_id: int) -> list[str]:
    return list(
        session.scalars(
            select(WorkItem.bpmn_id).where(WorkItem.case_id == case_id, WorkItem.state == "open")
        )
    )


def test_open_steps_come_from_the_projection_only_for_the_state_it_stored(
    db_session: Session,
) -> None:
    clock.freeze(datetime(2022, 6, 15, 2, 0, tzinfo=UTC))
    host = CampaignHost()
    problem = registered(db_session, host, registration())
    do(db_session, host, "qsz_fzr", problem, approval())
    case = db_session.get(Case, problem.case_id)
    assert case is not None
    db_session.flush()
    expected = _open_steps_in_db(db_session, case.id)
    assert expected and problem.status == "rectifying"
    # The completion's projection left its steps; the entry's status took them, once.
    with counted(db_session) as statements:
        steps = projection.open_steps(db_session, case)
    assert steps == expected and len(statements) == 1  # taken already: read from the database
    # A projection whose state the case no longer holds (another step, a rollback) is not used.
    db_session.info["ykt.open_steps"][case.id] = ("another state", ["stale_step"])
    assert projection.open_steps(db_session, case) == expected
    refreshed = db_session.get(Problem, problem.id)
    assert refreshed is not None
    problems.follow_case(db_session, refreshed, case)
    assert refreshed.status == "rectifying"


def test_opened_items_are_known_only_when_the_step_opened_every_open_item(
    db_session: Session,
) -> None:
    """The notices of a completion skip reading the case's open items only when its step
    opened all of them: an item open from before may not have been told of."""
    host = FakeHost()
    host.allow(WORKER, UNIT, "officer")
    diagram = (CONFORMANCE / "and_split_join.bpmn").read_bytes()
    definition, _ = definitions.deploy(db_session, diagram, host, deployed_by="test")
    case = cases.start_case(
        db_session,
        host,
        definition.key,
        data={},
        context=CaseContext(owning_unit_id=UNIT),
        actor=WORKER,
    )
    opened = projection.opened_items(db_session, case.id)  # the start opened a and b
    assert opened is not None and sorted(i.bpmn_id for i in opened) == ["a", "b"]
    assert projection.opened_items(db_session, case.id) is None  # taken once

    def complete(bpmn_id: str) -> None:
        item = db_session.scalars(
            select(WorkItem).where(
                WorkItem.case_id == case.id, WorkItem.bpmn_id == bpmn_id, WorkItem.state == "open"
            )
        ).one()
        cases.complete_task(db_session, host, item.id, {}, WORKER)

    def open_in_db() -> list[int]:
        db_session.flush()
        return sorted(
            db_session.scalars(
                select(WorkItem.id).where(WorkItem.case_id == case.id, WorkItem.state == "open")
            )
        )

    complete("a")  # b stays open, nothing new: not known
    assert projection.opened_items(db_session, case.id) is None
    after = projection.open_items_after(db_session, case)  # but every open item is
    assert after is not None and sorted(i.id for i in after) == open_in_db()
    assert [i.bpmn_id for i in after] == ["b"]
    complete("b")  # the join opens c, the only open item
    opened = projection.opened_items(db_session, case.id)
    assert opened is not None and [i.bpmn_id for i in opened] == ["c"]
    after = projection.open_items_after(db_session, case)
    assert after is not None and [i.id for i in after] == open_in_db() == [opened[0].id]
    db_session.info["ykt.open_after"][case.id] = ("another state", after)
    assert projection.open_items_after(db_session, case) is None
    # A state the case no longer holds (another step, a rollback) is not used.
    db_session.info["ykt.opened_items"][case.id] = ("another state", opened)
    assert projection.opened_items(db_session, case.id) is None


def test_a_chosen_responsible_unit_is_checked_alone_and_not_read_again(
    db_session: Session,
) -> None:
    """Checking a submitted responsible unit reads that unit only, refuses what the full list
    would not offer (a village, a unit no longer active, an unknown code, another form of the
    code) and leaves the unit for the next task's look-up by code."""
    clock.freeze(datetime(2022, 6, 15, 2, 0, tzinfo=UTC))
    host = CampaignHost()
    context = CaseContext(owning_unit_id=org.unit_by_code(db_session, "QSZ").id)
    offered = {
        code for code, _name in choices.options(db_session, "responsible_units", context, {})
    }
    assert {"QSZ", "NYNC"} <= offered and "QSZ01" not in offered
    retired = org.unit_by_code(db_session, "NYNC")
    retired.active = False
    db_session.flush()
    db_session.info.pop("ykt.units_by_code", None)
    for code in ("QSZ01", "NYNC", "NOPE", "qsz", "", " QSZ "):
        expected_ok = code.strip() in offered and code.strip() != "NYNC"
        try:
            clean = host.clean_submission(
                db_session, "review_registration", approval(responsible_unit=code), context
            )
        except SubmissionInvalid as refused:
            assert not expected_ok, (code, refused.fields)
            assert "responsible_unit" in refused.fields or code == "", code
        else:
            assert expected_ok and clean["responsible_unit"] == code.strip(), code
    with counted(db_session) as statements:
        host.clean_submission(db_session, "review_registration", approval(), context)
    assert len(statements) == 1 and "unit.code =" in statements[0]
    with counted(db_session) as statements:
        assert org.unit_by_code(db_session, "QSZ").code == "QSZ"
    assert statements == []


def _approved(session: Session) -> Completion:
    """A registered problem approved at its review (the completion, holding its case)."""
    clock.freeze(datetime(2022, 6, 15, 2, 0, tzinfo=UTC))
    host = CampaignHost()
    problem = registered(session, host, registration())
    step = session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()
    return tasks.complete(session, host, user(session, "qsz_fzr"), step.id, approval())


def test_a_step_s_deadline_is_a_plain_datetime_in_the_rows_the_session_keeps(
    db_session: Session,
) -> None:
    """The rows a step opened stay in the session for its notices and answer; their deadline
    is a plain datetime, which a bulk insert (the province's copies) hands to the driver."""
    done = _approved(db_session)
    after = projection.open_items_after(db_session, done.case)
    assert after is not None and [i.bpmn_id for i in after] == ["rectify"]
    assert type(after[0].due_at) is datetime


def test_a_completion_s_open_tasks_are_read_when_the_step_s_are_not_known(
    db_session: Session,
) -> None:
    done = _approved(db_session)
    with counted(db_session) as statements:
        known = tasks.open_after(db_session, done)
    assert statements == [] and [i.bpmn_id for i in known] == ["rectify"]
    db_session.info.pop("ykt.open_after")  # not known (another step, a rollback, a commit)
    with counted(db_session) as statements:
        read = tasks.open_after(db_session, done)
    assert len(statements) == 1 and read == known
