"""附件2 问题统计表 from the ledger: one GROUP BY over the entries in scope gives the exact
分 (and cards) of every programme × category; rows, sections and the total are assembled from
those exact figures, and only the printed cell is rounded."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from campaign.models import Problem, Programme, StatCategory, Unit
from campaign.reports.counting import counted
from campaign.reports.evidence import DEFAULT_LIMIT, Evidence, collect
from campaign.reports.scope import ReportScope, day_filter, scanned, unit_filter
from core.errors import NotFound
from forms.tables import attachment2 as table

LEVEL_ORDER = {"central": 0, "city": 1, "county": 2}
SECTIONS = {"city": table.SECTION_CITY, "county": table.SECTION_COUNTY}


@dataclass(frozen=True)
class Cell:
    fen: int = 0
    cards: int = 0
    entries: int = 0


def entries_in_scope(scope: ReportScope, *, scan: bool = False) -> list[ColumnElement[bool]]:
    """Every entry of the scope's ledger, counted or not (the ledger download lists them
    all); scan=True for aggregates over the whole scope (see scanned)."""
    campaign = scanned(Problem.campaign_id) if scan else Problem.campaign_id
    return [
        campaign == scope.campaign_id,
        unit_filter(scope, Problem.unit_id),
        day_filter(scope, Problem.discovered_on),
    ]


def problem_filters(scope: ReportScope, *, scan: bool = False) -> list[ColumnElement[bool]]:
    """The entries in scope that count in the tables (campaign.reports.counting)."""
    return [*entries_in_scope(scope, scan=scan), *counted()]


def figures(session: Session, scope: ReportScope) -> dict[tuple[int, int], Cell]:
    """Exact sums by (programme id, category id), over the entries in scope."""
    query = (
        select(
            Problem.programme_id,
            Problem.stat_category_id,
            func.sum(Problem.amount_fen),
            func.sum(Problem.cards),
            func.count(),
        )
        .where(*problem_filters(scope, scan=True))
        .group_by(Problem.programme_id, Problem.stat_category_id)
    )
    return {
        (programme, category): Cell(int(fen or 0), int(cards or 0), int(count))
        for programme, category, fen, cards, count in session.execute(query)
    }


def attachment2(session: Session, scope: ReportScope) -> table.Attachment2Table:
    """The table for the scope, with exact figures; forms.tables.write_attachment2 prints it."""
    categories = list(session.scalars(select(StatCategory).order_by(StatCategory.sort_order)))
    found = figures(session, scope)
    with_entries = {programme for programme, _ in found}
    programmes = [
        p
        for p in session.scalars(
            select(Programme).where(Programme.campaign_id == scope.campaign_id)
        )
        if p.active or p.id in with_entries  # a retired programme keeps its figures visible
    ]
    programmes.sort(key=lambda p: (LEVEL_ORDER.get(p.level, 0), p.sort_order, p.id))
    columns = tuple(table.Column(c.code, c.name, c.measure) for c in categories)

    def values(cells: dict[int, Cell]) -> tuple[int, ...]:
        return tuple(
            (cells.get(c.id) or Cell()).cards
            if c.measure == "cards"
            else (cells.get(c.id) or Cell()).fen
            for c in categories
        )

    by_programme: dict[int, dict[int, Cell]] = defaultdict(dict)
    totals: dict[int, Cell] = defaultdict(Cell)
    for (programme_id, category), cell in found.items():
        by_programme[programme_id][category] = cell
        before = totals[category]
        totals[category] = Cell(
            before.fen + cell.fen, before.cards + cell.cards, before.entries + cell.entries
        )
    rows: list[table.Row] = []
    level_seen: set[str] = set()
    for number, programme in enumerate(programmes, start=1):
        level = programme.level if programme.level in SECTIONS else "central"
        rows.extend(_sections_before(level, level_seen))
        cells = by_programme.get(programme.id, {})
        rows.append(table.Row("programme", number, programme.name, programme.code, values(cells)))
    rows.extend(_sections_before("end", level_seen))
    rows.append(table.Row("total", None, table.TOTAL, "", values(totals)))
    return table.Attachment2Table(scope.unit_name, scope.period_label, columns, tuple(rows))


def _sections_before(level: str, seen: set[str]) -> list[table.Row]:
    """The section headings due before a row of this level: a heading is printed even when
    its section has no programme, as the notice prints it."""
    due = {"central": [], "city": ["city"], "county": ["city", "county"]}.get(
        level, ["city", "county"]
    )
    rows = []
    for section in due:
        if section not in seen:
            seen.add(section)
            rows.append(table.Row("section", None, SECTIONS[section]))
    return rows


def cell_evidence(
    session: Session,
    scope: ReportScope,
    *,
    category: str,
    programme: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Evidence:
    """The ledger entries behind one cell: a programme's row (by programme code) or the
    合计 row (programme None), in one category's column (by category code)."""
    stat = session.scalar(select(StatCategory).where(StatCategory.code == category))
    if stat is None:
        raise NotFound(f"问题类别不存在：{category}")
    value = Problem.cards if stat.measure == "cards" else Problem.amount_fen
    rows = (
        select(
            Problem.id.label("id"),
            Problem.number.label("reference"),
            (Unit.name + "｜" + func.substr(Problem.description, 1, 60)).label("label"),
            value.label("value"),
        )
        .join(Unit, Unit.id == Problem.unit_id)
        .where(*problem_filters(scope), Problem.stat_category_id == stat.id)
        .order_by(Problem.number)
    )
    if programme is not None:
        programme_id = session.scalar(
            select(Programme.id).where(
                Programme.campaign_id == scope.campaign_id, Programme.code == programme
            )
        )
        if programme_id is None:
            raise NotFound(f"补贴项目不存在：{programme}")
        rows = rows.where(Problem.programme_id == programme_id)
    measure = "count" if stat.measure == "cards" else "money"
    return collect(session, "problem", measure, rows, limit=limit, offset=offset)
