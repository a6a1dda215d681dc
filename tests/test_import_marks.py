"""Where the marks of imports under way are looked for (core.import_marks): beside the file
SQLite opens, however the database's address names it, and asked again each time."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from core import import_marks


def _marks(url: str) -> Path | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return import_marks.marks_of(connection)
    finally:
        engine.dispose()


def test_a_database_named_through_a_link_has_its_marks_beside_the_file(tmp_path: Path) -> None:
    real = tmp_path / "data" / "ykt.sqlite3"
    real.parent.mkdir()
    (tmp_path / "link").symlink_to(real.parent)
    beside = Path(f"{real.resolve()}-imports")
    assert _marks(f"sqlite:///{tmp_path / 'link' / 'ykt.sqlite3'}") == beside
    assert _marks(f"sqlite:///{real}") == beside


def test_a_relative_name_is_taken_from_the_directory_of_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for place in ("a", "b"):
        (tmp_path / place).mkdir()
        monkeypatch.chdir(tmp_path / place)
        assert _marks("sqlite:///ykt.sqlite3") == tmp_path.resolve() / place / "ykt.sqlite3-imports"


def test_marks_are_seen_as_soon_as_made_and_gone_once_removed(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'ykt.sqlite3'}")
    try:
        with engine.connect() as connection:
            assert not import_marks.any_marked(connection)
            import_marks.mark(connection, 7)
            assert import_marks.any_marked(connection)
            import_marks.unmark(connection, 7)
            assert not import_marks.any_marked(connection)
    finally:
        engine.dispose()


def test_a_database_in_memory_is_always_taken_as_marked() -> None:
    engine = create_engine("sqlite://")
    try:
        with engine.connect() as connection:
            assert import_marks.marks_of(connection) is None
            assert import_marks.any_marked(connection)
    finally:
        engine.dispose()
