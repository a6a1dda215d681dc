"""A change that waited too long for a record another transaction holds, or that PostgreSQL
failed to end a deadlock, did nothing: the person is told to try again (503, Retry-After), the
task page comes back with every input, the API answers in its one error shape, the command
line prints one line; never the 500 of a bug (core.lock_waits). Production settings (TESTING
off), a database of their own with committed data, since the waits are between connections."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from campaign import accounts, problems, tasks
from campaign.demo import DEMO_PASSWORD
from campaign.models import AuditEvent, Unit, User
from campaign.workflow_host import CampaignHost
from cli.main import ykt
from core import lock_waits
from core.config import Settings
from core.db import Database
from engine.models import Case, WorkItem
from tests.campaign.conftest import approval, registration
from tests.databases import backend_name, fresh_demo_database
from tests.web.test_pages import SUBMIT as RECTIFIED
from tests.web_helpers import csrf_token, form_tokens, login
from web import create_app, db
from web.authz import allow

pytestmark = pytest.mark.usefixtures("june_2022")

WAIT = 0.5  # seconds the service's changes wait here (30 by default)


@dataclass(frozen=True)
class Contended:
    database: Database  # waits as long as the default
    impatient: Database  # waits WAIT seconds
    app: Flask


@pytest.fixture(scope="module")
def contended(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Contended]:
    tmp = tmp_path_factory.mktemp("locks")
    with fresh_demo_database(tmp) as database:
        impatient = Database(database.url, lock_wait=WAIT)
        settings = Settings(tmp, database.url, tmp / "data", "locks-" + "x" * 24, 30, WAIT)
        app = create_app(database=impatient, settings=settings, config={"TESTING": False})
        assert not app.testing and not app.config["PROPAGATE_EXCEPTIONS"]
        yield Contended(database, impatient, app)
        impatient.dispose()


def _at_review(database: Database) -> WorkItem:
    with database.transaction() as session:
        officer = session.scalars(select(User).where(User.username == "qsz_jbr")).one()
        problem = problems.register(session, CampaignHost(), officer, "QSZ", registration())
        return session.scalars(
            select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
        ).one()


@contextmanager
def held(database: Database, case_id: int) -> Iterator[None]:
    """Another transaction holding the case: its row on PostgreSQL, SQLite's write lock."""
    with database.engine.connect() as connection:
        if database.dialect == "sqlite":
            connection.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE (core.db)
        else:
            connection.execute(select(Case.id).where(Case.id == case_id).with_for_update())
        try:
            yield
        finally:
            connection.rollback()


def _state(database: Database, item_id: int) -> str:
    with database.transaction() as session:
        return session.get_one(WorkItem, item_id).state


def _failed_records(database: Database) -> int:
    with database.transaction() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "request.failed"))
        return len(rows.all())


def test_a_statement_gives_up_after_the_wait_and_says_so(contended: Contended) -> None:
    item = _at_review(contended.database)
    started = time.monotonic()
    change = update(Case).where(Case.id == item.case_id).values(error_message="")
    with (
        held(contended.database, item.case_id),
        pytest.raises(DBAPIError) as raised,
        contended.impatient.transaction() as session,
    ):
        session.execute(change)
    waited = time.monotonic() - started
    assert WAIT * 0.8 <= waited < WAIT + 5, waited
    busy = lock_waits.busy_error(raised.value)
    assert busy is not None and str(busy) == lock_waits.WAITED_TOO_LONG and busy.status == 503


def test_other_database_errors_are_not_taken_for_a_wait(contended: Contended) -> None:
    with pytest.raises(IntegrityError) as duplicate, contended.database.transaction() as session:
        session.add(Unit(code="QSZ", name="重复", kind="township"))
        session.flush()
    with pytest.raises(DBAPIError) as wrong, contended.database.transaction() as session:
        session.execute(text("SELECT no_such_column FROM unit"))
    assert lock_waits.busy_error(duplicate.value) is None
    assert lock_waits.busy_error(wrong.value) is None
    assert lock_waits.busy_error(ValueError("database is locked")) is None


def test_the_task_page_sent_while_the_case_is_held_keeps_every_input(
    contended: Contended,
) -> None:
    item = _at_review(contended.database)
    client = contended.app.test_client()
    assert login(client, "qsz_fzr", DEMO_PASSWORD).status_code == 302
    typed = approval(measures="先核实名单，再追回资金")
    form = {**typed, **form_tokens(client, f"/tasks/{item.id}")}
    failed_before = _failed_records(contended.database)
    with held(contended.database, item.case_id):
        refused = client.post(f"/tasks/{item.id}", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert lock_waits.WAITED_TOO_LONG in page and "Traceback" not in page
    if contended.database.dialect == "postgresql":  # the wait came in the view: its form again
        assert "先核实名单，再追回资金" in page and 'value="李主任"' in page
    else:  # the write lock is taken as the request begins: the page says how to go back
        assert "已填写的内容仍在" in page
    assert _state(contended.database, item.id) == "open"
    assert _failed_records(contended.database) == failed_before  # writing it would wait too
    # Released, the same form goes through: its one-time token was not used up.
    done = client.post(f"/tasks/{item.id}", data=form)
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _state(contended.database, item.id) == "completed"


def test_the_api_answers_a_held_case_with_503_in_its_error_shape(contended: Contended) -> None:
    item = _at_review(contended.database)
    with contended.database.transaction() as session:
        reviewer = session.scalars(select(User).where(User.username == "qsz_fzr")).one()
        headers = {"Authorization": f"Bearer {accounts.issue_token(session, reviewer)}"}
    client = contended.app.test_client()
    with held(contended.database, item.case_id):
        refused = client.post(
            f"/api/v1/tasks/{item.id}/complete", headers=headers, json={"data": approval()}
        )
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert refused.get_json() == {"error": lock_waits.WAITED_TOO_LONG}
    assert _state(contended.database, item.id) == "open"
    done = client.post(
        f"/api/v1/tasks/{item.id}/complete", headers=headers, json={"data": approval()}
    )
    assert done.status_code == 200, done.get_json()
    spec = client.get("/api/v1/openapi.json").get_json()
    complete = spec["paths"]["/tasks/{id}/complete"]["post"]["responses"]
    assert "Retry-After" in complete["503"]["headers"]
    assert "Retry-After" in spec["paths"]["/tasks"]["get"]["responses"]["503"]["headers"]


def test_a_command_that_waits_too_long_prints_one_line(
    contended: Contended, tmp_path: Path
) -> None:
    env = {
        "YKT_DATABASE_URL": contended.database.url,
        "YKT_INSTANCE_DIR": str(tmp_path),
        "YKT_SECRET_KEY": "cli-" + "x" * 28,
        "YKT_LOCK_WAIT_SECONDS": "1",
    }
    with contended.database.engine.connect() as holder:
        if contended.database.dialect == "sqlite":
            holder.exec_driver_sql("SELECT 1")
        else:
            holder.execute(select(Unit).where(Unit.code == "QSZ").with_for_update())
        result = CliRunner().invoke(ykt, ["unit", "population", "QSZ", "23500"], env=env)
        holder.rollback()
    assert result.exit_code == 1, result.output
    assert result.output.strip() == f"错误：数据库操作失败：{lock_waits.WAITED_TOO_LONG}"
    bad = CliRunner().invoke(ykt, ["unit", "list"], env={**env, "YKT_LOCK_WAIT_SECONDS": "0"})
    assert bad.exit_code == 1 and "YKT_LOCK_WAIT_SECONDS 须为 1 至 600 的整数" in bad.output


def _test_a_deadlock_ends_one_transaction_with_a_refusal(contended: Contended) -> None:
    first, second = _at_review(contended.database), _at_review(contended.database)
    both_in = threading.Barrier(2)
    errors: list[BaseException] = []

    def lock(one: int, other: int) -> None:
        try:
            with contended.database.transaction() as session:
                _lock_case(session, one)
                both_in.wait(10)
                _lock_case(session, other)  # each waits for the other: PostgreSQL ends one
        except DBAPIError as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=lock, args=(first.case_id, second.case_id)),
        threading.Thread(target=lock, args=(second.case_id, first.case_id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(errors) == 1, errors
    busy = lock_waits.busy_error(errors[0])
    assert busy is not None and str(busy) == lock_waits.COLLIDED


def _lock_case(session: Session, case_id: int) -> None:
    session.execute(select(Case.id).where(Case.id == case_id).with_for_update())


if backend_name() == "postgresql":  # SQLite has one write lock: nothing to deadlock over
    test_a_deadlock_ends_one_transaction_with_a_refusal = (
        _test_a_deadlock_ends_one_transaction_with_a_refusal
    )


def _as_admin(contended: Contended) -> tuple[FlaskClient, str]:
    client = contended.app.test_client()
    assert login(client, "admin", DEMO_PASSWORD).status_code == 302
    return client, csrf_token(client, "/admin/units")


def _sets_population(admin: tuple[FlaskClient, str], population: str) -> tuple[int, str, str]:
    client, token = admin
    answer = client.post(
        "/admin/units/QSZ/population", data={"csrf_token": token, "population": population}
    )
    return answer.status_code, answer.headers.get("Retry-After", ""), answer.get_data(as_text=True)


def _population(database: Database) -> int | None:
    with database.transaction() as session:
        return session.scalars(select(Unit).where(Unit.code == "QSZ")).one().population


def _test_a_change_that_waits_as_it_commits_answers_503(contended: Contended) -> None:
    # The audit record of most changes is sent as the request commits, after its view (in
    # web.db's after_request); the chain's end it locks (campaign.audit_chain) held.
    before, admin = _population(contended.database), _as_admin(contended)
    with contended.database.engine.connect() as holder:
        holder.execute(text("SELECT last_id FROM audit_head WHERE id = 1 FOR UPDATE"))
        status, retry, page = _sets_population(admin, "24,680")
        holder.rollback()
    assert (status, retry) == (503, "5"), page
    assert lock_waits.WAITED_TOO_LONG in page and 'value="24,680"' in page
    assert _population(contended.database) == before


def _test_a_form_whose_refusals_answer_422_answers_a_wait_with_503(
    contended: Contended,
) -> None:
    # The population form's own refusals are the person's to correct (422); a wait is not.
    admin = _as_admin(contended)
    with contended.database.engine.connect() as holder:
        holder.execute(select(Unit).where(Unit.code == "QSZ").with_for_update())
        status, retry, page = _sets_population(admin, "24,681")
        holder.rollback()
    assert (status, retry) == (503, "5"), page
    assert lock_waits.WAITED_TOO_LONG in page and 'value="24,681"' in page


if backend_name() == "postgresql":  # SQLite takes its write lock as the request begins
    test_a_change_that_waits_as_it_commits_answers_503 = (
        _test_a_change_that_waits_as_it_commits_answers_503
    )
    test_a_form_whose_refusals_answer_422_answers_a_wait_with_503 = (
        _test_a_form_whose_refusals_answer_422_answers_a_wait_with_503
    )


def _test_the_connections_own_options_still_apply(
    contended: Contended, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A deployment's options (its schema's search_path, say) in the address or PGOPTIONS.
    url = make_url(contended.database.url)
    in_url = url.update_query_dict({"options": "-c statement_timeout=4321"})
    monkeypatch.delenv("PGOPTIONS", raising=False)
    assert _timeouts(in_url.render_as_string(hide_password=False)) == ("4321ms", "500ms")
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=1234")
    assert _timeouts(contended.database.url) == ("1234ms", "500ms")


def _timeouts(url: str) -> tuple[str, str]:
    database = Database(url, lock_wait=WAIT)
    try:
        with database.engine.connect() as connection:
            shown = connection.execute(text("SELECT current_setting('statement_timeout')"))
            waits = connection.execute(text("SELECT current_setting('lock_timeout')"))
            return shown.scalar_one(), waits.scalar_one()
    finally:
        database.dispose()


if backend_name() == "postgresql":
    test_the_connections_own_options_still_apply = _test_the_connections_own_options_still_apply


def _test_a_form_with_evidence_that_waits_too_long_comes_back(contended: Contended) -> None:
    # The upload is kept through a refusal (campaign.files) in a transaction of its own after
    # the rollback, whose audit record waits for the same held lock and gives up too.
    item = _at_review(contended.database)
    with contended.database.transaction() as session:
        reviewer = session.scalars(select(User).where(User.username == "qsz_fzr")).one()
        tasks.complete(session, CampaignHost(), reviewer, item.id, approval())
        step = session.scalars(
            select(WorkItem).where(WorkItem.case_id == item.case_id, WorkItem.state == "open")
        ).one()
    client = contended.app.test_client()
    assert login(client, "qsz_jbr", DEMO_PASSWORD).status_code == 302
    form = {**RECTIFIED, **form_tokens(client, f"/tasks/{step.id}")}
    with contended.database.engine.connect() as holder:
        holder.execute(text("SELECT last_id FROM audit_head WHERE id = 1 FOR UPDATE"))
        refused = client.post(
            f"/tasks/{step.id}",
            content_type="multipart/form-data",
            data={**form, "evidence__upload": (io.BytesIO(b"%PDF-1.4 evidence"), "证明.pdf")},
        )
        holder.rollback()
    page = refused.get_data(as_text=True)
    assert refused.status_code == 503, page
    assert lock_waits.WAITED_TOO_LONG in page and "已追回并发放" in page
    assert _state(contended.database, step.id) == "open"


if backend_name() == "postgresql":
    test_a_form_with_evidence_that_waits_too_long_comes_back = (
        _test_a_form_with_evidence_that_waits_too_long_comes_back
    )


def _test_a_statement_too_slow_is_refused_and_logged_as_an_error(
    contended: Contended, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """statement_timeout (an operator's) cancels a statement: 503 as for a wait, but logged
    as an error with its SQL, since no other transaction was in the way."""
    settings = Settings(tmp_path, contended.database.url, tmp_path / "data", "slow-" + "x" * 24)
    app = create_app(database=contended.impatient, settings=settings, config={"TESTING": False})

    @app.get("/api/v1/slow-test")
    @allow(public=True)
    def slow() -> str:
        db.session().execute(text("SET LOCAL statement_timeout = 50"))
        db.session().execute(text("SELECT pg_sleep(2)"))
        return "ok"

    answer = app.test_client().get("/api/v1/slow-test")
    assert answer.status_code == 503 and answer.get_json() == {"error": lock_waits.CANCELED}
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].exc_info is not None, caplog.text
    assert "pg_sleep" in caplog.text


if backend_name() == "postgresql":
    test_a_statement_too_slow_is_refused_and_logged_as_an_error = (
        _test_a_statement_too_slow_is_refused_and_logged_as_an_error
    )
