"""The benchmarks' PostgreSQL database: one of their own on the server they are given, so a
benchmark never touches the configured database."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from core.db import Database, DatabaseUnavailable, make_engine, normalize_url


@contextmanager
def throwaway_postgresql(server_url: str, *, template: str | None = None) -> Iterator[Database]:
    """A database of its own on the server, dropped afterwards whatever happens; a copy of
    the database `template` names when given (which nobody may be connected to)."""
    server = Database(server_url)
    try:
        server.check()
    finally:
        server.dispose()
    where = server.safe_url()
    name = f"ykt_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_engine(normalize_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as conn:
                copying = f' TEMPLATE "{template}"' if template else ""
                conn.execute(text(f'CREATE DATABASE "{name}"{copying}'))
        except DBAPIError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise DatabaseUnavailable(f"cannot create a database on {where}: {reason}") from exc
        url = make_url(normalize_url(server_url)).set(database=name)
        database = Database(url.render_as_string(hide_password=False))
        try:
            yield database
        finally:
            database.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def copy_of(database_url: str, directory: Path) -> Iterator[str]:
    """The URL of a copy of the database, removed afterwards: a SQLite file copied by
    SQLite's backup (a whole, consistent file) into `directory`, or a PostgreSQL database
    made from the original as its template on the same server."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        target = directory / f"copy_{secrets.token_hex(3)}.sqlite3"
        source = sqlite3.connect(str(url.database))
        copy = sqlite3.connect(str(target))
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        try:
            yield f"sqlite:///{target}"
        finally:
            for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
                leftover.unlink(missing_ok=True)
        return
    server = url.render_as_string(hide_password=False)
    with throwaway_postgresql(server, template=url.database) as database:
        yield database.url
