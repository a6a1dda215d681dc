"""Running `ykt` against a database of a test's own, and playing an attacker who has write
access to that database: raw SQL on a connection of their own, with the audit table's
triggers switched off as such a person could."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from click.testing import CliRunner, Result
from sqlalchemy import Connection, create_engine, text

from cli.main import ykt
from core.db import Database, normalize_url

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
