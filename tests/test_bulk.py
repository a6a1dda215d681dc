"""Bulk inserts (COPY on PostgreSQL, executemany on SQLite) store what an ORM insert would.

They run on a table of the test's own, made in its transaction: the audit table, which has
the column types wanted, takes only records linked into its hash chain."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from core import bulk, clock
from core.db import UTCDateTime


class Scratch(DeclarativeBase):
    pass


class BulkRow(Scratch):
    """The audit table's columns as they were before the chain."""

    __tablename__ = "bulk_test_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    success: Mapped[bool] = mapped_column(default=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64), default="")


@pytest.fixture(autouse=True)
def _table(db_session: Session) -> Iterator[None]:
    Scratch.metadata.create_all(db_session.connection())  # rolled back with the test
    yield


AWKWARD = "制表符\t换行\n反斜杠\\ 引号\"' =SUM(A1) \\N 末尾"


def stored(session: Session, ids: list[int]) -> list[BulkRow]:
    session.expire_all()
    return list(session.scalars(select(BulkRow).where(BulkRow.id.in_(ids)).order_by(BulkRow.id)))


def test_rows_come_back_as_given_with_their_ids_in_order(db_session: Session) -> None:
    beijing = timezone(timedelta(hours=8))
    rows = [
        {
            "at": datetime(2022, 6, 1, 9, 30, tzinfo=beijing) + timedelta(minutes=n),
            "actor_id": None,
            "actor_name": f"导入{n}",
            "action": "bulk.test",
            "target": AWKWARD if n == 1 else "",
            "success": n != 2,
            "detail": "",
        }
        for n in range(3)
    ]
    ids = bulk.insert_returning_ids(db_session, BulkRow, rows)
    assert len(ids) == 3 and ids == sorted(ids) and len(set(ids)) == 3
    events = stored(db_session, ids)
    assert [e.id for e in events] == ids
    assert [e.actor_name for e in events] == ["导入0", "导入1", "导入2"]
    # Stored as UTC, whatever zone it was given in, exactly as the column type does.
    assert events[0].at == datetime(2022, 6, 1, 1, 30, tzinfo=UTC)
    assert (events[1].target, events[1].actor_id) == (AWKWARD, None)
    assert [e.success for e in events] == [True, True, False]


def test_columns_left_out_get_their_defaults(db_session: Session) -> None:
    clock.freeze(datetime(2022, 7, 1, 8, 0, tzinfo=UTC))
    ids = bulk.insert_returning_ids(
        db_session, BulkRow, [{"actor_name": "系统", "action": "bulk.defaults"}]
    )
    (event,) = stored(db_session, ids)
    assert (event.at, event.target, event.success, event.detail, event.source) == (
        datetime(2022, 7, 1, 8, 0, tzinfo=UTC),
        "",
        True,
        "",
        "",
    )


def test_rows_inserted_without_ids_are_all_there(db_session: Session) -> None:
    bulk.insert_rows(
        db_session,
        BulkRow,
        [{"actor_name": "系统", "action": "bulk.rows", "detail": str(n)} for n in range(250)],
    )
    details = db_session.scalars(select(BulkRow.detail).where(BulkRow.action == "bulk.rows")).all()
    assert sorted(map(int, details)) == list(range(250))


def test_reserved_ids_are_free_and_later_rows_come_after_them(db_session: Session) -> None:
    reserved = bulk.reserve_ids(db_session, BulkRow, 5)
    assert reserved == list(range(reserved[0], reserved[0] + 5))
    bulk.insert_rows(
        db_session,
        BulkRow,
        [{"id": i, "actor_name": "系统", "action": "bulk.reserved"} for i in reserved],
    )
    later = BulkRow(actor_name="系统", action="bulk.later")
    db_session.add(later)
    db_session.flush()
    assert later.id > reserved[-1]
    assert [e.id for e in stored(db_session, [*reserved, later.id])] == [*reserved, later.id]


def test_nothing_to_insert_does_nothing(db_session: Session) -> None:
    assert bulk.insert_returning_ids(db_session, BulkRow, []) == []
    bulk.insert_rows(db_session, BulkRow, [])
    assert bulk.reserve_ids(db_session, BulkRow, 0) == []
