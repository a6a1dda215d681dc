"""Reading the audit record: the auditor's page, filtered by action, person and days, and its
download. Each page shown and each download is itself recorded (after the search, so that it
shows the log as it was when asked for)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from campaign.audit import record
from campaign.models import AuditEvent, User
from core import clock, paging
from core.days import NotADay, read_day
from core.errors import InvalidInput
from core.paging import Page

AUDIT_PAGE = 50
EXPORT_MOST = 100_000  # records in one download: a bigger one is asked to narrow its days
EXPORT_BATCH = 1_000


@dataclass(frozen=True)
class LogFilter:
    """Which records: an action (a prefix, "auth" for every login record), a person (by
    name), the days from and to (Beijing time, both included)."""

    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None

    def named(self) -> dict[str, str]:
        """The filters given, as the record of a reading keeps them."""
        values = {
            "action": self.action,
            "actor": self.actor,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {name: value for name, value in values.items() if value}


def log_filter(action: str = "", actor: str = "", since: str = "", until: str = "") -> LogFilter:
    """The filter of a page's or a download's query; a day that cannot be read, or days the
    wrong way round, are refused beside their field."""
    first, last = _day("since", since), _day("until", until)
    if first and last and first > last:
        raise InvalidInput(fields={"until": "结束日期：不能早于开始日期"})
    # Action codes are lower case: "TASK" finds them on either database (SQLite's LIKE
    # ignores the case of Latin letters, PostgreSQL's does not).
    return LogFilter(action.strip().lower()[:64], actor.strip()[:64], first, last)


def _day(name: str, text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return read_day(text)
    except NotADay as refused:
        label = "开始日期" if name == "since" else "结束日期"
        raise InvalidInput(fields={name: f"{label}：{refused}"}) from None


def _query(filters: LogFilter) -> Select[tuple[AuditEvent]]:
    query = select(AuditEvent)
    if filters.action:
        # The letters as typed: "%" and "_" are not a LIKE pattern's wildcards here.
        query = query.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.actor:
        query = query.where(AuditEvent.actor_name == filters.actor)
    if filters.since and (start := _start_of(filters.since)) is not None:
        query = query.where(AuditEvent.at >= start)
    if filters.until and (end := _end_of(filters.until)) is not None:
        query = query.where(AuditEvent.at < end)
    return query


def _end_of(day: date) -> datetime | None:
    """The midnight that ends a day in Beijing (the day included); None for the last day
    Python has (9999-12-31), which no record is after."""
    return None if day == date.max else _start_of(day + timedelta(days=1))


def _start_of(day: date) -> datetime | None:
    """Midnight of a day in Beijing, as the stored times are (UTC); None for a day so early
    that its midnight is before the first instant Python has (0001-01-01): no bound at all."""
    try:
        return datetime.combine(day, time(), clock.LOCAL_TZ).astimezone(UTC)
    except OverflowError:
        return None


def search(session: Session, filters: LogFilter, page: int = 1) -> Page[AuditEvent]:
    """The audit log, newest first."""
    return paging.fetch(session, _query(filters).order_by(AuditEvent.id.desc()), page, AUDIT_PAGE)


def read_log(session: Session, reader: User, filters: LogFilter, page: int = 1) -> Page[AuditEvent]:
    """A page of the log for the auditor; the reading is itself recorded."""
    found = search(session, filters, page)
    record(
        session,
        "audit.read",
        actor=reader,
        page=found.number,
        shown=len(found.items),
        filters=filters.named(),
    )
    return found


def export_log(session: Session, reader: User, filters: LogFilter) -> Iterator[list[AuditEvent]]:
    """The records the filter picks, newest first, a batch at a time, for a download; more
    than EXPORT_MOST are refused (narrow the days). The download is recorded, and holds the
    log as it was when counted: not its own record, nor any written while it is read."""
    picked = _query(filters).subquery()
    count, newest = session.execute(select(func.count(), func.max(picked.c.id))).one()
    if count > EXPORT_MOST:
        raise InvalidInput(
            f"符合条件的记录有 {count:,} 条，一次最多导出 {EXPORT_MOST:,} 条："
            "请缩小日期范围后再导出"
        )
    record(session, "audit.export", actor=reader, rows=count, filters=filters.named())
    if not count:
        return iter(())
    counted = _query(filters).where(AuditEvent.id <= newest)
    return _batches(session, counted.order_by(AuditEvent.id.desc()))


def _batches(session: Session, query: Select[Any]) -> Iterator[list[AuditEvent]]:
    last_id: int | None = None
    while True:
        page = query if last_id is None else query.where(AuditEvent.id < last_id)
        batch = list(session.scalars(page.limit(EXPORT_BATCH)))
        if not batch:
            return
        yield batch
        last_id = batch[-1].id
