"""The records behind a figure, so that every cell of a report can be traced: a page of them,
their count, and their exact total (the cell before it was rounded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class EvidenceItem:
    id: int  # the row id of the record, for a link to it
    reference: str  # what people call it: a ledger number, a clue number, a unit code
    label: str
    value: int  # what it adds to the figure: 分, or a count
    record_type: str = ""  # "problem", "clue", ...: a figure may add several kinds


@dataclass(frozen=True)
class Evidence:
    record_type: str  # "problem", "clue", "obligation" or "unit"
    measure: str  # "money" (value in 分) or "count"
    count: int  # how many records
    total: int  # their exact total; the cell shows it rounded (money) or as it is
    items: list[EvidenceItem] = field(default_factory=list)  # the page asked for
    aggregate: str = "sum"  # "sum", or "max" for a figure that is the largest value


def collect(
    session: Session,
    record_type: str,
    measure: str,
    rows: Select[Any],
    *,
    limit: int,
    offset: int,
    aggregate: str = "sum",
) -> Evidence:
    """rows selects columns labelled id, reference, label and value (and, for a figure made
    of several kinds of record, kind), in display order; the count and total are computed
    over all of them in SQL, the items are the page asked for."""
    inner = rows.order_by(None).subquery()
    combine = func.max if aggregate == "max" else func.sum
    count, total = session.execute(
        select(func.count(), func.coalesce(combine(inner.c.value), 0)).select_from(inner)
    ).one()
    page = session.execute(rows.limit(max(0, limit)).offset(max(0, offset)))
    items = [
        EvidenceItem(
            int(row.id),
            str(row.reference),
            str(row.label),
            int(row.value or 0),
            str(row.kind) if "kind" in row._fields else record_type,
        )
        for row in page
    ]
    return Evidence(record_type, measure, int(count), int(total or 0), items, aggregate)
