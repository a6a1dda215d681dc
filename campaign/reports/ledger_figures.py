"""The ledger's figures computed a second way, for the reconciliation: straight from the
counted entries and their clues, grouped by unit, programme and category in one query each,
with the scope's units and 附件3's rows found by walking the unit tree in Python rather than
through the tables' recursive queries and layout. What counts is campaign.reports.counting's
rule (stated once); everything done with it is done again here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from campaign.models import Clue, Problem, StatCategory, Unit
from campaign.reports.counting import counted
from campaign.reports.scope import ReportScope, scanned
from core.clock import LOCAL_TZ

# 附件3's columns that come from the ledger: the entries' cards and rectification money,
# then what the commission recorded on their clues.
ENTRY_COLUMNS = ("cards_illegal", "recovered_fen", "returned_fen")
CLUE_COLUMNS = (
    "voluntary_persons",
    "voluntary_fen",
    "party_sanctioned",
    "government_sanctioned",
    "exposure_cases",
    "exposure_persons",
    "recovered_fen",
    "returned_fen",
)
LEDGER_COLUMNS = ("cards_illegal", "clues", *CLUE_COLUMNS)


@dataclass(frozen=True)
class UnitNode:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None


@dataclass
class UnitTree:
    nodes: dict[int, UnitNode]
    children: dict[int | None, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> UnitTree:
        rows = session.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent_id))
        nodes = {row.id: UnitNode(*row) for row in rows}
        children: dict[int | None, list[int]] = defaultdict(list)
        for node in nodes.values():
            children[node.parent_id].append(node.id)
        return cls(nodes, dict(children))

    def below(self, root: int) -> set[int]:
        """The unit and every unit under it."""
        found, stack = set(), [root]
        while stack:
            unit = stack.pop()
            if unit not in found:
                found.add(unit)
                stack.extend(self.children.get(unit, []))
        return found

    def rows_of(self, root: int, by_township: bool) -> dict[int, int | None]:
        """For every unit of the scope, the unit whose row of 附件3 holds its figures: the
        nearest unit at or above it of the rows' kind (a township, or a county-level unit),
        never above the scope's unit; None for the row of units under no such unit
        (区直部门及其他). When the scope holds no unit of that kind, the scope's unit is the
        only row."""
        kind = "township" if by_township else "district"
        inside = self.below(root)
        if not any(self.nodes[u].kind == kind for u in inside):
            kind = self.nodes[root].kind
        rows: dict[int, int | None] = {}
        stack: list[tuple[int, int | None]] = [(root, None)]
        while stack:
            unit, above = stack.pop()
            row = unit if self.nodes[unit].kind == kind else above
            rows[unit] = row
            stack.extend((child, row) for child in self.children.get(unit, []))
        return rows


@dataclass
class LedgerFigures:
    # (programme id, category id) → the cell's figure: cards for a category counted in
    # cards, 分 otherwise; and the entries behind it.
    cells: dict[tuple[int, int], int]
    # unit id → its figures of 附件3's ledger columns (money in 分).
    units: dict[int, dict[str, int]]
    measures: dict[int, str]  # category id → "cards" or "money"


def units_clause(scope: ReportScope, tree: UnitTree) -> list[ColumnElement[bool]]:
    """The scope's units as a list of ids (none for the whole tree)."""
    if tree.children.get(None, []) == [scope.unit_id]:
        return []
    return [Problem.unit_id.in_(sorted(tree.below(scope.unit_id)))]


def counted_in_campaign(scope: ReportScope) -> list[ColumnElement[bool]]:
    return [scanned(Problem.campaign_id) == scope.campaign_id, *counted()]


def entry_filters(scope: ReportScope) -> list[ColumnElement[bool]]:
    """The scope's counted entries, by 发现日期, without the unit filter."""
    clauses = counted_in_campaign(scope)
    if scope.date_from:
        clauses.append(Problem.discovered_on >= scope.date_from)
    if scope.date_to:
        clauses.append(Problem.discovered_on <= scope.date_to)
    return clauses


def clue_moment_filters(scope: ReportScope) -> list[ColumnElement[bool]]:
    """Clues transferred on the scope's days, counted in Beijing time."""
    clauses = []
    if scope.date_from:
        clauses.append(Clue.transferred_at >= _day_start(scope.date_from))
    if scope.date_to:
        clauses.append(Clue.transferred_at < _day_start(scope.date_to + timedelta(days=1)))
    return clauses


def _day_start(day: object) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)  # type: ignore[arg-type]


def ledger_figures(session: Session, scope: ReportScope, tree: UnitTree) -> LedgerFigures:
    """Two grouped queries over the counted entries (by programme and category for 附件2, by
    unit for 附件3) and one over their clues (by unit)."""
    measures = {
        category: "cards" if measure == "cards" else "money"
        for category, measure in session.execute(select(StatCategory.id, StatCategory.measure))
    }
    in_cards = [category for category, measure in measures.items() if measure == "cards"]
    listed = units_clause(scope, tree)
    by_cell = (
        select(
            Problem.programme_id,
            Problem.stat_category_id,
            func.sum(Problem.amount_fen),
            func.sum(Problem.cards),
        )
        .where(*entry_filters(scope), *listed)
        .group_by(Problem.programme_id, Problem.stat_category_id)
    )
    cells = {
        (programme, category): int((cards if category in in_cards else fen) or 0)
        for programme, category, fen, cards in session.execute(by_cell)
    }
    # Grouped by unit_id + 0: SQLite would otherwise walk the (unit, status) index and fetch
    # every row at random, several times slower than reading the table.
    unit_key = scanned(Problem.unit_id)
    by_unit = (
        select(
            unit_key,
            func.sum(case((Problem.stat_category_id.in_(in_cards), Problem.cards), else_=0)),
            func.sum(Problem.recovered_fen),
            func.sum(Problem.returned_fen),
        )
        .where(*entry_filters(scope), *listed)
        .group_by(unit_key)
    )
    units: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(LEDGER_COLUMNS, 0))
    for unit, *values in session.execute(by_unit):
        units[unit].update(zip(ENTRY_COLUMNS, (int(v or 0) for v in values), strict=True))
    clues = (
        select(
            unit_key,
            func.count(Clue.id),
            *(func.sum(getattr(Clue, name)) for name in CLUE_COLUMNS),
        )
        .join(Problem, Problem.id == Clue.problem_id)
        # A clue is dated by its transfer, whenever its entry was found.
        .where(*counted_in_campaign(scope), *listed, *clue_moment_filters(scope))
        .group_by(unit_key)
    )
    for unit, count, *values in session.execute(clues):
        figures = units[unit]
        figures["clues"] += int(count)
        for name, value in zip(CLUE_COLUMNS, values, strict=True):
            figures[name] += int(value or 0)
    return LedgerFigures(cells, dict(units), measures)


def fold(units: Iterable[dict[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(LEDGER_COLUMNS, 0)
    for figures in units:
        for name, value in figures.items():
            total[name] += value
    return total
