"""Fixtures: one migrated database per test session (SQLite, or PostgreSQL when
YKT_TEST_DATABASE_URL names a server), a rolled-back transaction per test, the Flask app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from campaign import bootstrap, passwords
from core import clock, heap, schema
from core.config import Settings
from core.db import Database
from engine import task_dumps, task_walks
from tests.databases import backend_name, fresh_database_url

# Cheap hashing keeps the suite fast; production parameters are argon2-cffi's defaults.
passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
# Every store of a case is checked against the plain conversion: a path that changes a task
# after it finished fails its own tests (engine.task_dumps); every walk of a case's task tree
# is checked against the library's (engine.task_walks).
task_dumps.VERIFY = True
task_walks.VERIFY = True
# A command run in the suite's own process (`ykt bench-province` through CliRunner) must not
# freeze the suite's collector: settling is checked in processes of their own
# (tests/ops/test_settled_heap.py).
heap.settle_after_start = lambda: None
# Property-based tests assert what holds, never how fast: a stall of the shared machine past
# hypothesis's 200 ms deadline would fail one that holds.
hypothesis_settings.register_profile("ykt", deadline=None)
hypothesis_settings.load_profile("ykt")

FORBID_SKIPS_ENV = "YKT_FORBID_SKIPS"


def pytest_report_header() -> str:
    return f"ykt database under test: {backend_name()}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database_url(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    schema.upgrade(db)
    with db.transaction() as session:
        bootstrap.initialise(session, with_demo=True, deployed_by="tests")
    yield db
    db.dispose()


@pytest.fixture
def db_session(database: Database) -> Iterator[Session]:
    """A session whose commits become savepoints of one transaction rolled back at the end."""
    connection = database.engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def bound_database(database: Database, db_session: Session) -> Database:
    """The session database, but every session it hands out joins the test's transaction."""
    bound = Database.__new__(Database)
    bound.url = database.url
    bound.engine = database.engine
    bound.sessions = sessionmaker(
        bind=db_session.connection(),
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
    )

    @contextmanager
    def apart() -> Iterator[Connection]:  # the test's connection: its work is rolled back too
        yield db_session.connection()

    bound.apart = apart  # type: ignore[method-assign]
    return bound


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        instance_dir=tmp_path,
        database_url=database_url,
        data_dir=tmp_path / "data",
        secret_key="test-secret-" + "x" * 20,
    )


@pytest.fixture
def app(bound_database: Database, settings: Settings) -> Flask:
    from web import create_app

    return create_app(database=bound_database, settings=settings, config={"TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if backend_name() == "sqlite":
        terminalreporter.write_sep(
            "!",
            "ran on SQLite only: set YKT_TEST_DATABASE_URL to a PostgreSQL server "
            "to run the suite there too",
            yellow=True,
        )
    if skipped:
        terminalreporter.write_sep("!", f"{len(skipped)} TESTS SKIPPED", red=True, bold=True)
        for report in skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            terminalreporter.write_line(f"  SKIPPED {report.nodeid}: {reason}", red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get(FORBID_SKIPS_ENV) and skipped:
        if reporter:
            reporter.write_sep(
                "!",
                f"{FORBID_SKIPS_ENV} is set and tests were skipped: failing",
                red=True,
                bold=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
