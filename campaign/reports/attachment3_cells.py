"""The records behind one cell of 附件3: the same filters as the figures, narrowed to the
units of one row (or the whole scope for 合计)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, literal, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from campaign.models import Clue, Obligation, Problem, Unit
from campaign.reports.attachment3 import (
    CLUE_SUMS,
    MAXIMA,
    OTHER_KEY,
    SURVEY,
    Layout,
    activity,
    clue_filters,
    layout,
    monthly_filters,
)
from campaign.reports.evidence import DEFAULT_LIMIT, Evidence, EvidenceItem, collect
from campaign.reports.scope import ReportScope
from core.errors import NotFound
from forms.tables.attachment3 import COLUMNS

MONEY = frozenset(c.key for c in COLUMNS if c.measure == "money")


def cell_evidence(
    session: Session,
    scope: ReportScope,
    *,
    column: str,
    row: str = "",
    by_township: bool = False,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Evidence:
    """row: the row's key (its unit code, or "*other"), or "" for 合计; column: a column key
    of forms.tables.attachment3.COLUMNS."""
    if column not in {c.key for c in COLUMNS}:
        raise NotFound(f"附件3没有这一列：{column}")
    plan = layout(session, scope, by_township)
    members = _members(plan, row)
    measure = "money" if column in MONEY else "count"
    if column == "population":
        nodes = [plan.root] if not row else [n for n in plan.rows if n.code == row]
        items = [EvidenceItem(n.id, n.code, n.name, n.population or 0) for n in nodes]
        return Evidence("unit", measure, len(items), sum(i.value for i in items), items)
    if column in ("townships", "villages"):
        work = activity(session, scope, plan)
        chosen = work.townships if column == "townships" else work.villages
        ids = sorted(
            (u for u in chosen if members is None or u in members),
            key=lambda u: (plan.nodes[u].sort_order, plan.nodes[u].code),
        )
        page = ids[max(0, offset) : max(0, offset) + max(0, limit)]
        items = [EvidenceItem(u, plan.nodes[u].code, plan.nodes[u].name, 1) for u in page]
        return Evidence("unit", measure, len(ids), len(ids), items)
    if column in SURVEY:
        return _reports(session, scope, column, members, limit, offset)
    if column == "clues" or column in CLUE_SUMS:
        return _clues(session, scope, column, members, limit, offset)
    return Evidence("none", measure, 0, 0, [])  # 其他: no record carries it


def _members(plan: Layout, row: str) -> set[int] | None:
    if not row:
        return None
    if row != OTHER_KEY and all(node.code != row for node in plan.rows):
        raise NotFound(f"附件3没有这一行：{row}")
    return set(plan.members(row))


def _within(
    column: InstrumentedAttribute[int], members: set[int] | None
) -> list[ColumnElement[bool]]:
    return [] if members is None else [column.in_(sorted(members))]


def _reports(
    session: Session,
    scope: ReportScope,
    column: str,
    members: set[int] | None,
    limit: int,
    offset: int,
) -> Evidence:
    value = getattr(Obligation, column)
    rows: Select[tuple[int, str, str, int]] = (
        select(
            Obligation.id.label("id"),
            (Unit.code + " " + Obligation.period).label("reference"),
            (Unit.name + " " + Obligation.period + " 月报").label("label"),
            value.label("value"),
        )
        .join(Unit, Unit.id == Obligation.unit_id)
        .where(*monthly_filters(scope), *_within(Obligation.unit_id, members))
        .order_by(Obligation.period, Unit.sort_order, Unit.code)
    )
    aggregate = "max" if column in MAXIMA else "sum"
    return collect(
        session, "obligation", "count", rows, limit=limit, offset=offset, aggregate=aggregate
    )


def _clues(
    session: Session,
    scope: ReportScope,
    column: str,
    members: set[int] | None,
    limit: int,
    offset: int,
) -> Evidence:
    value = literal(1) if column == "clues" else getattr(Clue, column)
    rows: Select[tuple[int, str, str, int]] = (
        select(
            Clue.id.label("id"),
            Clue.number.label("reference"),
            (Problem.number + "｜" + Clue.summary).label("label"),
            value.label("value"),
        )
        .join(Problem, Problem.id == Clue.problem_id)
        .where(*clue_filters(scope), *_within(Problem.unit_id, members))
        .order_by(Clue.number)
    )
    measure = "money" if column in MONEY else "count"
    return collect(session, "clue", measure, rows, limit=limit, offset=offset)
