"""Running `ykt` against a database of a test's own, and playing an attacker who has write
access to that database: raw SQL on a connection of their own, with the audit table's
triggers switched off as such a person could."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import Connection, create_engine, text

from campaign import audit
from cli.main import ykt
from core.db import Database, normalize_url
from tests.databases import fresh_database_url

Env = dict[str, str]


def run(env: Env, *args: str) -> Result:
    return CliRunner().invoke(ykt, list(args), env=env)


@contextmanager
def opened(url: str) -> Iterator[Database]:
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()


@contextmanager
def five_records(tmp_path: Path) -> Iterator[Env]:
    """A database of its own (tampering spoils it), initialised by `ykt init`, with five test
    records; the environment to run `ykt` against it."""
    with fresh_database_url(tmp_path) as url:
        env = {"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp_path / "instance")}
        assert run(env, "init").exit_code == 0
        with opened(url) as db, db.transaction() as session:
            for n in range(5):
                audit.record(session, "test.event", actor_name="tester", target=f"t{n}", n=n)
        yield env


@contextmanager
def as_attacker(env: Env) -> Iterator[Connection]:
    """A raw connection with the audit table's triggers switched off, committed at the end."""
    engine = create_engine(normalize_url(env["YKT_DATABASE_URL"]))
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
            else:
                names = conn.scalars(
                    text(
                        "SELECT name FROM sqlite_master "
                        "WHERE type = 'trigger' AND tbl_name = 'audit_event'"
                    )
                ).all()
                assert names, "the audit table should have triggers to switch off"
                for name in names:
                    conn.execute(text(f'DROP TRIGGER "{name}"'))
            yield conn
    finally:
        engine.dispose()
