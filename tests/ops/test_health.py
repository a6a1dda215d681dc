"""/healthz and /readyz: no login, JSON, nothing sensitive; readiness follows the database."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import text

from core.config import Settings
from core.db import Database
from web import create_app, health


def test_liveness_answers_without_login_or_database(tmp_path: Path) -> None:
    # A database that does not exist: liveness must not touch it.
    missing = Database(f"sqlite:///{tmp_path / 'no-such-dir' / 'ykt.sqlite3'}")
    settings = Settings(tmp_path, missing.url, tmp_path / "data", "k" * 32)
    client = create_app(database=missing, settings=settings).test_client()
    client.set_cookie("session", "a-stale-cookie")
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json == {"status": "ok"}
    assert answer.headers["Cache-Control"] == "no-store"
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json == {"status": "unavailable", "database": "unreachable"}
    assert "sqlite" not in ready.get_data(as_text=True)


def test_readiness_checks_database_and_schema(client: FlaskClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json == {"status": "ok", "database": "ok", "schema": "current"}


def test_readiness_fails_on_an_outdated_schema(tmp_path: Path, database_url: str) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with empty.engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
    settings = Settings(tmp_path, empty.url, tmp_path / "data", "k" * 32)
    answer = create_app(database=empty, settings=settings).test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json == {"status": "unavailable", "database": "ok", "schema": "outdated"}
    empty.dispose()


def test_readiness_fails_while_stopping(client: FlaskClient) -> None:
    health.stopping.set()
    try:
        answer = client.get("/readyz")
    finally:
        health.stopping.clear()
    assert answer.status_code == 503
    assert answer.json == {"status": "stopping"}
    assert client.get("/healthz").status_code == 200


def test_the_wsgi_module_builds_the_application_from_the_environment(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.ops.processes import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT), "YKT_INSTANCE_DIR": str(tmp_path)}
    env.pop("YKT_DATABASE_URL", None)
    shown = subprocess.run(
        [sys.executable, "-c", "from web.wsgi import app; print(app.name, app.secret_key)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown == ["web", (tmp_path / "secret_key").read_text(encoding="ascii").strip()]
