"""The leading group office's view: overdue work by unit and age, with the items behind
each number."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from campaign.campaign_cases import case_in_campaign
from campaign.current import shown_id
from campaign.models import Unit
from core import clock
from engine import workitems
from engine.models import Case, WorkItem

# Ageing buckets in days past due: (key, label, lower bound inclusive, upper bound inclusive).
BUCKETS = [("d1_7", "1–7 天", 0, 7), ("d8_30", "8–30 天", 8, 30), ("d31", "30 天以上", 31, None)]


@dataclass
class UnitAgeing:
    unit_id: int | None
    unit_name: str
    counts: dict[str, int] = field(default_factory=dict)
    unit_code: str = ""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _bucket_bounds(key: str) -> tuple[int, int | None]:
    for name, _label, low, high in BUCKETS:
        if name == key:
            return low, high
    raise ValueError(key)


def overdue_by_unit(session: Session, campaign_id: int | None = None) -> list[UnitAgeing]:
    now = clock.now()
    columns = []
    for key, _label, low, high in BUCKETS:
        # A day past due counts from the moment the deadline passes: 0–7 full days late is
        # the first bucket ("1–7 天" as people count it).
        newest = now - timedelta(days=low)
        condition = WorkItem.due_at <= newest
        if high is not None:
            condition = condition & (WorkItem.due_at > now - timedelta(days=high + 1))
        columns.append(func.sum(case((condition, 1), else_=0)).label(key))
    rows = session.execute(
        select(WorkItem.unit_id, *columns)
        .join(Case, Case.id == WorkItem.case_id)
        .where(workitems.overdue(now), case_in_campaign(session, shown_id(session, campaign_id)))
        .group_by(WorkItem.unit_id)
    ).all()
    # The names of the units with overdue work alone (a province has 27,000 units).
    named = {row[0] for row in rows if row[0] is not None}
    names = {
        unit_id: (name, code)
        for unit_id, name, code in session.execute(
            select(Unit.id, Unit.name, Unit.code).where(Unit.id.in_(named))
        ).tuples()
    }
    result = [
        UnitAgeing(
            row[0],
            names.get(row[0] or 0, ("（未指定单位）", ""))[0],
            {key: int(row[i + 1] or 0) for i, (key, *_r) in enumerate(BUCKETS)},
            names.get(row[0] or 0, ("", ""))[1],
        )
        for row in rows
    ]
    return sorted(result, key=lambda a: (-a.total, a.unit_name))


def overdue_query(
    session: Session,
    unit_id: int | None,
    bucket: str | None,
    *,
    campaign_id: int | None = None,
) -> Select[tuple[WorkItem]]:
    """The items behind one number of `overdue_by_unit` (a unit's, a bucket's, or all), the
    longest overdue first: read a page at a time, so the list always adds up to the number."""
    now = clock.now()
    query = (
        select(WorkItem)
        .join(Case, Case.id == WorkItem.case_id)
        .where(workitems.overdue(now), case_in_campaign(session, shown_id(session, campaign_id)))
    )
    if unit_id is not None:
        query = query.where(WorkItem.unit_id == unit_id)
    if bucket:
        low, high = _bucket_bounds(bucket)
        query = query.where(WorkItem.due_at <= now - timedelta(days=low))
        if high is not None:
            query = query.where(WorkItem.due_at > now - timedelta(days=high + 1))
    return query.order_by(WorkItem.due_at, WorkItem.id)
