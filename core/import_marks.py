"""The marks of imports being copied in parts on SQLite (core.staged_parts): a file per import
beside the database file (`<file>-imports/<id>`), made before the import's record commits and
removed after the record is deleted. A write transaction holds SQLite's write lock from its
BEGIN IMMEDIATE and so reads the newest commit: when it finds no mark, no import's record can
have committed, and it need not read the records."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import Connection


def marks_of(connection: Connection) -> Path | None:
    """The directory of the marks of imports under way, beside the database file (None for a
    database in memory)."""
    name = connection.engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    if os.path.isabs(name):
        return _marks_beside(name)
    return Path(os.path.realpath(name) + "-imports")  # relative: to the directory of now


@lru_cache(maxsize=64)
def _marks_beside(path: str) -> Path:
    """Beside the file SQLite opens, links resolved: once a path (every write transaction
    asks; the file is not moved under a process that has it open)."""
    return Path(os.path.realpath(path) + "-imports")


def mark(connection: Connection, import_id: int) -> None:
    """The mark of an import under way: made before its record commits."""
    marks = marks_of(connection)
    if marks is not None:
        marks.mkdir(exist_ok=True)
        (marks / str(import_id)).touch()


def unmark(connection: Connection, import_id: int) -> None:
    """The import's mark removed (its record is gone). The directory stays: another import
    may be making its own mark in it."""
    marks = marks_of(connection)
    if marks is not None:
        (marks / str(import_id)).unlink(missing_ok=True)


def any_marked(connection: Connection) -> bool:
    """Whether any import may be under way: any mark (a database in memory: always)."""
    marks = marks_of(connection)
    if marks is None:
        return True
    try:
        with os.scandir(marks) as entries:
            return any(True for _ in entries)
    except FileNotFoundError:
        return False
