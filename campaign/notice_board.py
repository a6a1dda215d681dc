"""The notifications page: a person's notices a page at a time, newest first, filtered by
kind and unread, grouped by day and kind, each linked to a page its reader may open; marking
one or all of them read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from campaign import records, report_overview
from campaign.models import Notification, Obligation, User
from campaign.notice_texts import FAMILIES, family_of, of_family
from core import clock, paging
from core.errors import NotFound
from core.paging import Page
from engine.models import WorkItem

PER_PAGE = 50


@dataclass(frozen=True)
class Filters:
    family: str = ""  # a key of FAMILIES, or every kind
    unread: bool = False

    @classmethod
    def from_args(cls, family: str | None, unread: str | None) -> Filters:
        return cls(family if family in FAMILIES else "", unread in {"1", "on", "true"})


@dataclass
class KindGroup:
    family: str
    label: str
    notices: list[Notification]


@dataclass
class DayGroup:
    day: date
    kinds: list[KindGroup]

    @property
    def count(self) -> int:
        return sum(len(k.notices) for k in self.kinds)


def _query(user: User, filters: Filters):  # type: ignore[no-untyped-def]
    query = select(Notification).where(Notification.user_id == user.id)
    if filters.family:
        query = query.where(of_family(filters.family))
    if filters.unread:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.created_at.desc(), Notification.id.desc())


def page(session: Session, user: User, filters: Filters, number: int = 1) -> Page[Notification]:
    return paging.fetch(session, _query(user, filters), number, PER_PAGE)


def latest(session: Session, user: User, limit: int) -> list[Notification]:
    """A person's newest notices, newest first (the API's list)."""
    return list(session.scalars(_query(user, Filters()).limit(limit)))


def grouped(notices: list[Notification]) -> list[DayGroup]:
    """The page's notices by Beijing day (newest first), and within a day by kind."""
    days: dict[date, dict[str, list[Notification]]] = {}
    for notice in notices:
        day = notice.created_at.astimezone(clock.LOCAL_TZ).date()
        days.setdefault(day, {}).setdefault(family_of(notice.kind), []).append(notice)
    order = list(FAMILIES)
    return [
        DayGroup(
            day,
            [
                KindGroup(family, FAMILIES.get(family, family), rows)
                for family, rows in sorted(
                    kinds.items(), key=lambda pair: order.index(pair[0]) if pair[0] in order else 99
                )
            ],
        )
        for day, kinds in days.items()
    ]


@dataclass(frozen=True)
class Target:
    """Where a notice's 查看 leads: a task ("task") or a report of 报送管理 ("obligation")."""

    kind: str
    id: int


def targets(session: Session, user: User, notices: list[Notification]) -> dict[int, Target]:
    """Where each notice (by id) leads its reader, decided now by the rules of who may see
    what: the task, when the reader may open it (records.may_see_item); else, for a report's
    task, the report's page (a unit head told of the officer's overdue or urged report may
    open the report, not the task); else nowhere (no link that answers 404)."""
    item_ids = {n.work_item_id for n in notices if n.work_item_id is not None}
    if not item_ids:
        return {}
    items = list(
        session.scalars(
            select(WorkItem).where(WorkItem.id.in_(item_ids)).options(joinedload(WorkItem.case))
        )
    )
    reports = {i.case.subject_id for i in items if i.case.subject_type == "obligation"} - {None}
    open_reports = set(
        session.scalars(
            select(Obligation.id).where(Obligation.id.in_(reports), report_overview.visible(user))
        )
        if reports
        else []
    )
    seen = records.items_seen(session, user, items)
    by_item: dict[int, Target] = {}
    for item in items:
        if item.id in seen:
            by_item[item.id] = Target("task", item.id)
        elif item.case.subject_type == "obligation" and item.case.subject_id in open_reports:
            by_item[item.id] = Target("obligation", item.case.subject_id)
    return {
        n.id: by_item[n.work_item_id]
        for n in notices
        if n.work_item_id is not None and n.work_item_id in by_item
    }


def counts_by_family(session: Session, user: User) -> dict[str, int]:
    """Unread notices of each kind, for the filter's labels."""
    found = dict.fromkeys(FAMILIES, 0)
    for kind, number in session.execute(
        select(Notification.kind, func.count())
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .group_by(Notification.kind)
    ):
        family = family_of(kind)
        if family in found:
            found[family] += number
    return found


def mark_read(session: Session, user: User, notification_id: int) -> Notification:
    """One of the person's own notices, read now (again: unchanged)."""
    notice = session.get(Notification, notification_id)
    if notice is None or notice.user_id != user.id:
        raise NotFound("该通知不存在")
    if notice.read_at is None:
        notice.read_at = clock.now()
        session.flush()
    return notice


def mark_all_read(session: Session, user: User, filters: Filters | None = None) -> int:
    """Every unread notice of the person (of one kind, when the filter names one)."""
    condition = [Notification.user_id == user.id, Notification.read_at.is_(None)]
    if filters is not None and filters.family:
        condition.append(of_family(filters.family))
    done = session.execute(update(Notification).where(*condition).values(read_at=clock.now()))
    return int(done.rowcount or 0)  # type: ignore[attr-defined]
