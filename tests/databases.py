"""Throwaway databases for the suite: a SQLite file, or a fresh database on the PostgreSQL
server named by YKT_TEST_DATABASE_URL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from core.db import Database, normalize_url

TEST_DATABASE_ENV = "YKT_TEST_DATABASE_URL"


def server_url() -> str | None:
    value = os.environ.get(TEST_DATABASE_ENV, "").strip()
    if not value or value.startswith("sqlite"):
        return None
    return normalize_url(value)


def backend_name() -> str:
    return "postgresql" if server_url() else "sqlite"


@contextmanager
def fresh_database_url(tmp_dir: Path) -> Iterator[str]:
    """A new, empty database; dropped afterwards."""
    server = server_url()
    if server is None:
        yield f"sqlite:///{tmp_dir / f'ykt-{secrets.token_hex(4)}.sqlite3'}"
        return
    name = f"ykt_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_demo_database(tmp_dir: Path, *, data_dir: Path | None = None) -> Iterator[Database]:
    """A new database at the latest revision holding the demo data (its files, if any, in
    `data_dir`); dropped afterwards."""
    from campaign import bootstrap  # the product's set-up: imported only by who needs it
    from core import schema

    with fresh_database_url(tmp_dir) as url:
        database = Database(url)
        try:
            schema.upgrade(database)
            with database.transaction() as session:
                bootstrap.initialise(
                    session, with_demo=True, data_dir=data_dir, deployed_by="tests"
                )
            yield database
        finally:
            database.dispose()


@contextmanager
def initialised_env(tmp_dir: Path, *init_args: str, **extra: str) -> Iterator[dict[str, str]]:
    """The environment of `ykt` commands on a new database made by `ykt init` (with
    `init_args`, e.g. --demo), its instance folder in `tmp_dir`; `extra` variables added."""
    from click.testing import CliRunner  # the command line: imported only by who needs it

    from cli.main import ykt

    with fresh_database_url(tmp_dir) as url:
        env = {"YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp_dir / "instance"), **extra}
        result = CliRunner().invoke(ykt, ["init", *init_args], env=env)
        assert result.exit_code == 0, result.output
        yield env


def index_names(database: Database, table: str) -> set[str]:
    """The names of the table's indexes, as the database has them now."""
    return {i["name"] or "" for i in inspect(database.engine).get_indexes(table)}
