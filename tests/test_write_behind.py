"""Writing behind (core.write_behind): an import's COPYs run on a thread of their own on
PostgreSQL, yet every statement sees what was inserted before it, a failed COPY fails the
unit of work, and nothing is left running. On SQLite the block changes nothing."""

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import ForeignKey, String, func, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from campaign import audit_chain
from core import bulk
from core.write_behind import Writer, writer_of, writing_behind


class Scratch(DeclarativeBase):
    pass


class Parent(Scratch):
    __tablename__ = "write_behind_parent"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


class Child(Scratch):
    __tablename__ = "write_behind_child"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("write_behind_parent.id"))


@pytest.fixture(autouse=True)
def _tables(db_session: Session) -> Iterator[None]:
    Scratch.metadata.create_all(db_session.connection())  # rolled back with the test
    yield


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ykt-write-behind"]


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def test_every_statement_sees_the_rows_inserted_before_it(db_session: Session) -> None:
    with writing_behind(db_session):
        assert (writer_of(db_session) is not None) == _postgresql(db_session)
        for batch in range(30):
            parents = bulk.insert_returning_ids(
                db_session, Parent, [{"name": f"{batch}-{n}"} for n in range(200)]
            )
            bulk.insert_rows(db_session, Child, [{"parent_id": p} for p in parents])
            # A read of a table with COPYs queued waits for them: all rows so far, each time.
            assert db_session.scalar(select(func.count()).select_from(Child)) == 200 * (batch + 1)
    assert db_session.scalar(select(func.count()).select_from(Parent)) == 6000
    orphans = db_session.scalar(
        text(
            "SELECT count(*) FROM write_behind_child c LEFT JOIN write_behind_parent p "
            "ON p.id = c.parent_id WHERE p.id IS NULL"
        )
    )
    assert orphans == 0
    assert _writer_threads() == []


def test_a_failed_copy_fails_the_block_with_the_databases_error(db_session: Session) -> None:
    with (
        pytest.raises(Exception) as failed,
        db_session.begin_nested(),
        writing_behind(db_session),
    ):
        bulk.insert_rows(db_session, Child, [{"parent_id": 999_999_999}])  # no such parent
        for n in range(20):
            bulk.insert_rows(db_session, Parent, [{"name": f"after {n}"}])
    # The error the insert would have raised without writing behind: the driver's own
    # (COPY) on PostgreSQL, SQLAlchemy's on SQLite.
    expected = "ForeignKeyViolation" if _postgresql(db_session) else "IntegrityError"
    assert type(failed.value).__name__ == expected, repr(failed.value)
    assert db_session.scalar(select(func.count()).select_from(Parent)) == 0
    assert _writer_threads() == []


def test_a_failure_of_the_caller_drops_what_is_queued_and_ends_the_thread(
    db_session: Session,
) -> None:
    with (
        pytest.raises(RuntimeError, match="导入中断"),
        db_session.begin_nested(),
        writing_behind(db_session),
    ):
        bulk.insert_rows(db_session, Parent, [{"name": "x"}] * 100)
        raise RuntimeError("导入中断")
    assert db_session.scalar(select(func.count()).select_from(Parent)) == 0
    assert _writer_threads() == []


def test_ids_from_the_pool_are_unique_ascending_and_the_rows_get_them(
    db_session: Session,
) -> None:
    taken: list[int] = []
    with writing_behind(db_session):
        for size in (1, 7, 2000, 9000, 3):
            ids = bulk.insert_returning_ids(db_session, Parent, [{"name": "p"}] * size)
            assert ids == sorted(ids) and len(ids) == size
            taken += ids
    assert len(set(taken)) == len(taken) == 11011
    stored = set(db_session.scalars(select(Parent.id)))
    assert stored == set(taken)
    # Outside the block, new rows still come after everything the pool handed out.
    later = bulk.insert_returning_ids(db_session, Parent, [{"name": "later"}])
    assert later[0] > max(taken)


def test_only_selects_of_tables_without_queued_copies_skip_the_queue() -> None:
    writer = Writer()
    try:
        release = threading.Event()

        def held() -> None:  # a COPY that runs until released
            release.wait()

        writer.submit("work_item", held)
        assert writer.may_read_now("SELECT unit.id, unit.name FROM unit WHERE unit.id = 1")
        assert writer.may_read_now("  select role_assignment.user_id from role_assignment")
        assert not writer.may_read_now("SELECT count(*) FROM work_item")
        assert not writer.may_read_now('SELECT * FROM "work_item" WHERE id = 1')
        assert not writer.may_read_now("SELECT w.id FROM unit JOIN work_item w ON true")
        assert not writer.may_read_now("UPDATE unit SET name = 'x'")
        assert not writer.may_read_now("INSERT INTO unit (name) VALUES ('x')")
        # The audit records' COPY moves the chain's end (a trigger): the end's locked read,
        # which links the next batch, waits for it, or two batches would take the same ids.
        writer.submit("audit_event", held)
        locked_end = str(audit_chain._LOCKED_END.compile(dialect=postgresql.dialect()))
        assert "audit_event" not in locked_end
        assert not writer.may_read_now(locked_end)
        assert not writer.may_read_now("SELECT id FROM unit WHERE id = 1 FOR NO KEY UPDATE")
        release.set()
        writer.drain()
        assert writer.may_read_now("SELECT count(*) FROM work_item")  # nothing queued now
    finally:
        writer.close()
