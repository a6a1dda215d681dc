"""A web completion costs a bounded number of SQL statements (issue 17, item 8: 25–29, and
31–36 for a review that files the problem, before; authorisation was asked of the database
twice and the case's open items read twice)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from campaign import accounts
from campaign.models import User
from campaign.workflow_host import CampaignHost
from core import sent_later
from core.db import READ_ONLY, Database
from engine.models import WorkItem
from tests.campaign.conftest import approval, registered, registration
from tests.web_helpers import form_tokens

Client = Callable[[str], FlaskClient]
pytestmark = pytest.mark.usefixtures("june_2022")

# The reviewer's 审核 that approves a problem: the login session with its person and roles
# (1); on PostgreSQL the lock of the task's case (1, sent with the next statement); the
# task with its case, its state and process, the case's open tasks and its entry, read
# after the lock (1: it is the person's own task, so no further check; the same statement
# finds whether the record's campaign has ended, which the read-only check,
# campaign.current, then takes); the responsible unit chosen, checked among those that may
# be one (1: the next task goes to it, so it is not read again); the engine's writes (5),
# the entry taking up the decision (1, one UPDATE), the notices to the holders of the task
# just opened (1: INSERT ... SELECT; nobody can have heard of a task the step opened), the
# audit record linked to the chain's end and hashed by the database (1). On SQLite the
# write lock is held from the transaction's BEGIN, so no lock of its own; a writer reads
# which imports are being copied in parts only when one has left its mark
# (core.staged_parts). 31 and 32 before the first cuts, 22 before the second, 16 before
# the third, 12 on both before the lock went with the read.
MOST = {"sqlite": 11, "postgresql": 12}
# Of those, the ones whose answer the completion waits for (the others are sent with the
# next, core.sent_later): the login session, the read after the lock, the unit and the
# audit record (linked to the chain's end). The lock, the finished task, the event, the
# case's state, its timer, the new task (its id drawn by the read after the lock, on
# PostgreSQL), the entry and the notices ride with them. A round trip each on PostgreSQL
# (the COMMIT besides; the BEGIN goes with the first; the pool checks a connection without
# one, core.pool_check); 12 before the writes went later, 6 before the lock went with the
# read, 5 before the new task's id was drawn by it. SQLite draws none: its statements cost
# no round trip.
MOST_WAITED = {"sqlite": 5, "postgresql": 4}


@contextmanager
def counted(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(
        conn: object, cursor: object, statement: str, params: object, context: object, *_: object
    ) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):  # the test's own
            later = "(later) " if sent_later.is_later(context) else ""
            statements.append(later + " ".join(statement.split()))

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_a_web_completion_runs_a_bounded_number_of_statements(
    db_session: Session, bound_database: Database, as_user: Client
) -> None:
    problem = registered(db_session, CampaignHost(), registration())
    db_session.commit()
    item = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()
    client = as_user("qsz_fzr")
    tokens = form_tokens(client, f"/tasks/{item.id}")
    # The page's GET left its read-only mark on the test's one connection, which every
    # request here shares; each request of the service has a connection of its own.
    db_session.connection().execution_options(**{READ_ONLY: False})

    with counted(bound_database) as statements:
        answer = client.post(f"/tasks/{item.id}", data={**tokens, **approval()})

    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    db_session.expire_all()
    assert db_session.get(WorkItem, item.id).state == "completed"  # type: ignore[union-attr]
    listing = "\n".join(s[:160] for s in statements)
    most = MOST[bound_database.dialect]
    assert len(statements) <= most, f"{len(statements)} statements:\n{listing}"
    waited = [s for s in statements if not s.startswith("(later) ")]
    assert len(waited) <= MOST_WAITED[bound_database.dialect], listing
    original = statements
    statements = [s.removeprefix("(later) ") for s in statements]
    # Whether the person may act is answered from the roles that came with them.
    checks = [s for s in statements if s.startswith("SELECT role_assignment.id FROM")]
    assert checks == [], listing
    # The task is read once, after its case's lock (the rule for claims), with the case's
    # state and process, its open tasks and its entry.
    reads = [n for n, s in enumerate(statements) if s.startswith("SELECT work_item.id, work")]
    assert len(reads) == 1, listing
    [read] = reads
    assert "LEFT OUTER JOIN case_instance" in statements[read], listing
    assert "case_instance.state" in statements[read], listing
    assert "problem.id" in statements[read], listing  # the entry, read with them
    if bound_database.dialect == "postgresql":
        inserted = [s for s in statements if s.startswith("INSERT INTO work_item")]
        assert len(inserted) == 1 and "(later) " + inserted[0] in original, listing
        # the lock, the statement before it: sent with it, nothing read before it but the
        # login session
        assert read == 2 and waited[1] == statements[read], listing
        assert statements[1].endswith("FOR UPDATE OF case_instance"), listing
    else:
        assert read == 1, listing  # BEGIN IMMEDIATE holds the write lock already


def _api_task_list(
    db_session: Session, bound_database: Database, client: FlaskClient
) -> tuple[TestResponse, list[str]]:
    """The reviewer's API task list, and the statements it ran."""
    user = db_session.scalars(select(User).where(User.username == "qsz_fzr")).one()
    headers = {"Authorization": f"Bearer {accounts.issue_token(db_session, user)}"}
    db_session.commit()
    with counted(bound_database) as statements:
        answer = client.get("/api/v1/tasks", headers=headers)
    return answer, statements


def test_an_api_request_learns_who_it_acts_for_in_one_statement(
    db_session: Session, bound_database: Database, client: FlaskClient
) -> None:
    """The token, its person and the person's roles: asked by every API request."""
    answer, statements = _api_task_list(db_session, bound_database, client)

    assert answer.status_code == 200
    listing = "\n".join(s[:160] for s in statements)
    who = [s for s in statements if "FROM api_token" in s]
    assert len(who) == 1 and "JOIN app_user" in who[0] and "role_assignment" in who[0], listing
    alone = ("SELECT app_user.", "SELECT role_assignment.")
    assert not [s for s in statements if s.startswith(alone)], listing


def test_the_api_task_list_reads_nothing_it_does_not_return(
    db_session: Session, bound_database: Database, client: FlaskClient
) -> None:
    """The API's list returns each task's subject: the units' names and entry numbers the
    inbox page shows beside it are not read for it."""
    registered(db_session, CampaignHost(), registration())
    answer, statements = _api_task_list(db_session, bound_database, client)

    assert answer.status_code == 200
    listed = answer.get_json()["items"]
    assert listed and all(task["subject"] for task in listed)
    listing = "\n".join(s[:160] for s in statements)
    assert not [s for s in statements if s.startswith("SELECT unit.id, unit.name")], listing
    assert not [s for s in statements if s.startswith("SELECT problem.id, problem.number")]
