"""The records behind one cell of 附件3: the same filters as the figures, narrowed to the
units of one row (or the whole scope for 合计)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, func, literal, select, union_all
from sqlalchemy.orm import InstrumentedAttribute, Session

from campaign.models import Clue, Obligation, Problem, StatCategory, Unit
from campaign.reports.attachment2 import problem_filters
from campaign.reports.attachment3 import (
    CLUE_SUMS,
    LEDGER_CARDS,
    MAXIMA,
    OTHER_KEY,
    RECTIFICATION_MONEY,
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
    if column == LEDGER_CARDS:
        return _illegal_cards(session, scope, members, limit, offset)
    if column in RECTIFICATION_MONEY:
        return _money_moved(session, scope, column, members, limit, offset)
    if column == "clues" or column in CLUE_SUMS:
        return collect(
            session,
            "clue",
            "money" if column in MONEY else "count",
            _clue_rows(scope, column, members),
            limit=limit,
            offset=offset,
        )
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


def _clue_rows(
    scope: ReportScope, column: str, members: set[int] | None
) -> Select[tuple[int, str, str, int]]:
    value = literal(1) if column == "clues" else getattr(Clue, column)
    return (
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


def _entry_label() -> ColumnElement[str]:
    return Unit.name + "｜" + func.substr(Problem.description, 1, 60)


def _illegal_cards(
    session: Session, scope: ReportScope, members: set[int] | None, limit: int, offset: int
) -> Evidence:
    """The 违规代管 entries and their cards: the same rows as 附件2's column."""
    rows = (
        select(
            Problem.id.label("id"),
            Problem.number.label("reference"),
            _entry_label().label("label"),
            Problem.cards.label("value"),
        )
        .join(Unit, Unit.id == Problem.unit_id)
        .join(StatCategory, StatCategory.id == Problem.stat_category_id)
        .where(
            *problem_filters(scope),
            StatCategory.measure == "cards",
            *_within(Problem.unit_id, members),
        )
        .order_by(Problem.number)
    )
    return collect(session, "problem", "count", rows, limit=limit, offset=offset)


def _money_moved(
    session: Session,
    scope: ReportScope,
    column: str,
    members: set[int] | None,
    limit: int,
    offset: int,
) -> Evidence:
    """追缴收回 or 返还发放: the entries whose rectification moved money, then the clues whose
    outcome records money beyond it."""
    amount = getattr(Problem, column)
    entries = (
        select(
            Problem.id.label("id"),
            Problem.number.label("reference"),
            ("整改｜" + _entry_label()).label("label"),
            amount.label("value"),
            literal("problem").label("kind"),
            literal(0).label("part"),
        )
        .join(Unit, Unit.id == Problem.unit_id)
        .where(*problem_filters(scope), amount > 0, *_within(Problem.unit_id, members))
    )
    clue_amount = getattr(Clue, column)
    clues = (
        select(
            Clue.id.label("id"),
            Clue.number.label("reference"),
            ("纪检监察｜" + Problem.number + "｜" + Clue.summary).label("label"),
            clue_amount.label("value"),
            literal("clue").label("kind"),
            literal(1).label("part"),
        )
        .join(Problem, Problem.id == Clue.problem_id)
        .where(*clue_filters(scope), clue_amount > 0, *_within(Problem.unit_id, members))
    )
    both = union_all(entries, clues).subquery()
    rows = select(both.c.id, both.c.reference, both.c.label, both.c.value, both.c.kind).order_by(
        both.c.part, both.c.reference
    )
    return collect(session, "mixed", "money", rows, limit=limit, offset=offset)
