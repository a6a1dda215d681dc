"""The database out of reach (a server restarting or refusing connections, a connection lost,
SQLite's file gone): a request is told to try again later (503, Retry-After) on the plain
error page or in the API's error shape, never the 500 of a bug (core.outages). Production
settings (TESTING off); the databases here are unreachable on purpose, on either backend."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import BindParameter, bindparam, select, text, update
from sqlalchemy.exc import DBAPIError

from campaign.models import Unit
from core import outages, sent_later
from core.config import Settings
from core.db import Database
from core.errors import Unavailable
from tests.databases import backend_name
from tests.web_helpers import csrf_token
from web import create_app

CLOSED_PORT = "postgresql+psycopg://ykt@127.0.0.1:9/ykt?connect_timeout=2"  # nothing listens


@pytest.fixture(params=["postgresql", "sqlite"])
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = CLOSED_PORT if request.param == "postgresql" else f"sqlite:///{tmp_path}/gone/x.db"
    database = Database(url)
    yield database
    database.dispose()


def _error_of(database: Database) -> DBAPIError:
    with pytest.raises(DBAPIError) as raised, database.transaction() as session:
        session.execute(text("SELECT 1"))
    return raised.value


def test_an_unreachable_database_is_told_apart_from_a_bug(unreachable: Database) -> None:
    refusal = outages.refusal_of(_error_of(unreachable))
    assert isinstance(refusal, Unavailable) and str(refusal) == outages.OUT_OF_REACH
    assert refusal.status == 503 and refusal.retry_after_seconds == 30


def test_other_errors_are_not_taken_for_an_outage(database: Database) -> None:
    with pytest.raises(DBAPIError) as wrong, database.transaction() as session:
        session.execute(text("SELECT no_such_column FROM unit"))
    assert outages.refusal_of(wrong.value) is None
    assert outages.refusal_of(ValueError("connection refused")) is None


@pytest.fixture
def outage_app(unreachable: Database, tmp_path: Path) -> Flask:
    settings = Settings(tmp_path, unreachable.url, tmp_path / "data", "outage-" + "x" * 24)
    app = create_app(database=unreachable, settings=settings, config={"TESTING": False})
    assert not app.testing and not app.config["PROPAGATE_EXCEPTIONS"]
    return app


def test_a_page_sent_while_the_database_is_out_of_reach_says_to_try_again(
    outage_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = outage_app.test_client()
    token = csrf_token(client, "/login")  # the login page itself needs no database
    with caplog.at_level(logging.INFO):
        answer = client.post(
            "/login", data={"username": "qsz_jbr", "password": "x", "csrf_token": token}
        )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30", page
    assert outages.OUT_OF_REACH in page and "已填写的内容仍在" in page
    assert "Traceback" not in page and "127.0.0.1" not in page and "gone" not in page
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1 and logged[0].exc_info is None, caplog.text
    assert "the database cannot take it" in logged[0].getMessage()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503


def test_the_api_answers_an_outage_in_its_error_shape(outage_app: Flask) -> None:
    answer = outage_app.test_client().get(
        "/api/v1/tasks", headers={"Authorization": "Bearer ykt_" + "x" * 40}
    )
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert answer.get_json() == {"error": outages.OUT_OF_REACH}


def _test_a_connection_lost_mid_transaction_is_an_outage(database: Database) -> None:
    """A backend ended while its transaction was open (a failover): SQLAlchemy sees the
    connection gone."""
    with database.engine.connect() as victim, database.engine.connect() as killer:
        pid = victim.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as raised:
            victim.execute(text("SELECT 1"))
        victim.rollback()
    assert raised.value.connection_invalidated
    refusal = outages.refusal_of(raised.value)
    assert isinstance(refusal, Unavailable) and str(refusal) == outages.OUT_OF_REACH


def _test_a_driver_error_on_a_live_connection_is_no_outage(database: Database) -> None:
    """psycopg reports some mistakes of the client without a SQLSTATE, as it does a
    connection that failed: a statement of more parameters than the protocol carries is a
    bug to fix, not the database out of reach, and the connection still works."""
    ids: BindParameter[int] = bindparam("ids", expanding=True)
    with pytest.raises(DBAPIError) as raised, database.transaction() as session:
        session.execute(select(Unit.id).where(Unit.id.in_(ids)), {"ids": list(range(70_000))})
    assert getattr(raised.value.orig, "sqlstate", None) is None  # what the rule has to tell
    assert outages.refusal_of(raised.value) is None


def _test_a_connection_lost_as_the_kept_writes_commit_is_an_outage(database: Database) -> None:
    """The writes sent with the COMMIT (core.sent_later) on a connection whose backend has
    just ended (a failover): the database out of reach, as for any other statement."""
    with database.engine.connect() as killer, database.sessions() as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        sent_later.write_later(session, update(Unit).where(Unit.id == -1).values(name="x"))
        killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.commit()
        with pytest.raises(DBAPIError) as raised:
            session.commit()
        session.rollback()
    refusal = outages.refusal_of(raised.value)
    assert isinstance(refusal, Unavailable) and str(refusal) == outages.OUT_OF_REACH


if backend_name() == "postgresql":
    test_a_connection_lost_mid_transaction_is_an_outage = (
        _test_a_connection_lost_mid_transaction_is_an_outage
    )
    test_a_driver_error_on_a_live_connection_is_no_outage = (
        _test_a_driver_error_on_a_live_connection_is_no_outage
    )
    test_a_connection_lost_as_the_kept_writes_commit_is_an_outage = (
        _test_a_connection_lost_as_the_kept_writes_commit_is_an_outage
    )
