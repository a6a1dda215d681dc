"""The benchmarks' PostgreSQL database: one of their own on the server they are given, so a
benchmark never touches the configured database."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from core.db import Database, DatabaseUnavailable, make_engine, normalize_url


@contextmanager
def throwaway_postgresql(server_url: str) -> Iterator[Database]:
    """A database of its own on the server, dropped afterwards whatever happens."""
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
                conn.execute(text(f'CREATE DATABASE "{name}"'))
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
