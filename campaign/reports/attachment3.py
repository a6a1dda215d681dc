"""附件3 问题情况汇总表 from the records that carry each figure:

- 县总人口数: the population recorded on the row's unit;
- 治理的乡镇数量 / 治理的村集体数量: townships and villages with work on record in scope (a
  township: a ledger entry of it or of its villages, or a submitted monthly report; a
  village: a ledger entry, or a household sampled in a submitted spot check);
- 到村到户调查, 摸排出“一卡通”的总量 and 涉及到的银行家数: the figures of submitted (approved)
  monthly reports; 涉及到的银行家数 is the largest number any one report gave, since reports
  give counts, not bank names, and summing them would count a bank again for every month and
  township;
- 违规代管“一卡通”数量: the cards of the ledger's 违规代管 entries, the source of 附件2's
  column too, so the two tables cannot disagree;
- 主动说清 and 整改问责: the clues transferred to the commission and the outcomes it recorded;
  追缴收回 and 返还发放 add the money the responsible units recorded at rectification (the
  commission records only money beyond it: docs/reports.md);
- 其他: no record carries it, so it stays blank.

Ledger entries, and the clues and money that belong to them, count as campaign.reports.counting
says.

Each query groups by unit in SQL; the unit tree (small) folds units into rows in Python."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from campaign.models import Clue, Obligation, Problem, SpotCheckSample, StatCategory, Unit
from campaign.models.org import UnitKind
from campaign.reports.attachment2 import problem_filters
from campaign.reports.counting import counted
from campaign.reports.scope import (
    ReportScope,
    day_filter,
    moment_filter,
    month_filter,
    scanned,
    unit_filter,
)
from forms.tables import attachment3 as table

MONTHLY = "monthly_report"
SPOT_CHECK = "spot_check"
SUBMITTED = "submitted"
OTHER_KEY = "*other"
OTHER_NAMES = {True: "区直部门及其他", False: "其他单位"}
SURVEY = ("visited_persons", "visited_households", "cards_found", "banks_involved")
# From the ledger: the cards of 违规代管 entries, and the money moved in rectifications.
LEDGER_CARDS = "cards_illegal"
RECTIFICATION_MONEY = ("recovered_fen", "returned_fen")
CLUE_SUMS = (
    "voluntary_persons",
    "voluntary_fen",
    "party_sanctioned",
    "government_sanctioned",
    "exposure_cases",
    "exposure_persons",
    "recovered_fen",
    "returned_fen",
)
MAXIMA = frozenset({"banks_involved"})
FIGURES = (*SURVEY, LEDGER_CARDS, *CLUE_SUMS, "clues")


class UnitNode(NamedTuple):
    # A tuple, not a dataclass: a province's table reads 27,000 units on every request.
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    population: int | None
    sort_order: int


@dataclass
class Layout:
    """The rows of the table and, for every unit in scope, the row it belongs to (None: the
    row of units under no row unit, e.g. district departments in the township breakdown)."""

    root: UnitNode
    rows: list[UnitNode]
    row_of: dict[int, int | None]
    township_of: dict[int, int | None]
    nodes: dict[int, UnitNode] = field(default_factory=dict)

    def members(self, row_key: str) -> list[int]:
        """The units in a row, by the row's key (a unit code, or OTHER_KEY)."""
        if row_key == OTHER_KEY:
            return [u for u, r in self.row_of.items() if r is None]
        wanted = next((r.id for r in self.rows if r.code == row_key), -1)
        return [u for u, r in self.row_of.items() if r == wanted]


def layout(session: Session, scope: ReportScope, by_township: bool) -> Layout:
    nodes = {
        row[0]: UnitNode(*row)
        for row in session.execute(
            select(
                Unit.id,
                Unit.code,
                Unit.name,
                Unit.kind,
                Unit.parent_id,
                Unit.population,
                Unit.sort_order,
            )
        )
    }
    children: dict[int | None, list[UnitNode]] = defaultdict(list)
    for node in nodes.values():
        children[node.parent_id].append(node)
    root = nodes[scope.unit_id]
    row_kind = UnitKind.TOWNSHIP.value if by_township else UnitKind.DISTRICT.value
    in_scope = _depth_first(root, children)
    if not any(n.kind == row_kind for n in in_scope):
        row_kind = root.kind  # e.g. one township asked for by county: it is the row itself
    row_of: dict[int, int | None] = {}
    township_of: dict[int, int | None] = {}
    rows: list[UnitNode] = []
    for node in in_scope:
        parent = node.parent_id if node.id != root.id else None
        parent_row = row_of.get(parent) if parent is not None else None
        parent_township = township_of.get(parent) if parent is not None else None
        if node.kind == row_kind:
            rows.append(node)
            row_of[node.id] = node.id
        else:
            row_of[node.id] = parent_row
        township_of[node.id] = node.id if node.kind == UnitKind.TOWNSHIP else parent_township
    return Layout(root, rows, row_of, township_of, nodes)


def _depth_first(root: UnitNode, children: dict[int | None, list[UnitNode]]) -> list[UnitNode]:
    ordered, stack = [], [root]
    while stack:
        node = stack.pop()
        ordered.append(node)
        below = sorted(children.get(node.id, []), key=lambda n: (n.sort_order, n.code))
        stack.extend(reversed(below))
    return ordered


def monthly_filters(scope: ReportScope) -> list[ColumnElement[bool]]:
    return [
        Obligation.campaign_id == scope.campaign_id,
        Obligation.deadline_code == MONTHLY,
        Obligation.status == SUBMITTED,
        unit_filter(scope, Obligation.unit_id),
        month_filter(scope, Obligation.period),
    ]


def clue_filters(scope: ReportScope) -> list[ColumnElement[bool]]:
    # The campaign as `scanned`: clues drive the join (far fewer than entries) instead of
    # SQLite walking every entry of the campaign through its index to find them.
    return [
        scanned(Problem.campaign_id) == scope.campaign_id,
        unit_filter(scope, Problem.unit_id),
        moment_filter(scope, Clue.transferred_at),
        *counted(),
    ]


def illegal_cards() -> ColumnElement[int]:
    """An entry's contribution to 违规代管“一卡通”数量: its cards if it is of the category
    counted in cards (违规代管), else nothing; the query joins StatCategory."""
    return case((StatCategory.measure == "cards", Problem.cards), else_=0)


def spot_check_filters(scope: ReportScope) -> list[ColumnElement[bool]]:
    return [
        Obligation.campaign_id == scope.campaign_id,
        Obligation.deadline_code == SPOT_CHECK,
        Obligation.status == SUBMITTED,
        unit_filter(scope, Obligation.unit_id),
        day_filter(scope, Obligation.due_on),
    ]


@dataclass
class Activity:
    townships: set[int] = field(default_factory=set)
    villages: set[int] = field(default_factory=set)


class LedgerGroup(NamedTuple):
    """The counted entries of one unit and village (None: none named), summed (a tuple: a
    province has 25,000 of them)."""

    unit_id: int
    village_id: int | None
    cards_illegal: int
    recovered_fen: int
    returned_fen: int


def ledger_groups(session: Session, scope: ReportScope) -> list[LedgerGroup]:
    """The one read of the ledger the table needs: its counted entries in scope by unit and
    village, with the ledger's figures summed. Which units and villages have work and what
    each unit's entries add up to both come from it (a province's ledger is a million
    entries: each further read of it is another scan)."""
    # A scan, grouped by unit_id + 0: SQLite would otherwise read the table in the order of
    # the (unit, status) index, fetching each row at random (2.4 s instead of 0.5 s).
    unit = scanned(Problem.unit_id).label("unit")
    query = (
        select(
            unit,
            Problem.village_id,
            func.sum(illegal_cards()),
            *(func.sum(getattr(Problem, name)) for name in RECTIFICATION_MONEY),
        )
        .join(StatCategory, StatCategory.id == Problem.stat_category_id)
        .where(*problem_filters(scope, scan=True))
        .group_by(unit, Problem.village_id)
    )
    return [
        LedgerGroup(unit_id, village_id, int(cards or 0), int(recovered or 0), int(returned or 0))
        for unit_id, village_id, cards, recovered, returned in session.execute(query).tuples()
    ]


def activity(
    session: Session, scope: ReportScope, plan: Layout, ledger: list[LedgerGroup] | None = None
) -> Activity:
    """The townships and villages with work on record in scope (`ledger`: the scope's
    ledger_groups when the caller has read them already)."""
    found = Activity()
    reporting = select(Obligation.unit_id).where(*monthly_filters(scope)).distinct()
    sampled = (
        select(SpotCheckSample.village_id)
        .join(Obligation, Obligation.id == SpotCheckSample.obligation_id)
        .where(*spot_check_filters(scope))
        .distinct()
    )
    units: set[int] = set()
    for group in ledger_groups(session, scope) if ledger is None else ledger:
        units.add(group.unit_id)
        if group.village_id is not None:
            found.villages.add(group.village_id)
    units.update(session.scalars(reporting))
    found.villages.update(session.scalars(sampled))
    for unit_id in units | found.villages:
        township = plan.township_of.get(unit_id)
        if township is not None:
            found.townships.add(township)
    found.villages = {v for v in found.villages if v in plan.row_of}
    return found


def unit_figures(
    session: Session, scope: ReportScope, ledger: list[LedgerGroup] | None = None
) -> dict[int, dict[str, int]]:
    """Survey, ledger and clue figures by unit, exact (分 for money); `ledger` as for
    activity."""
    by_unit: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    survey = (
        select(
            Obligation.unit_id,
            func.sum(Obligation.visited_persons),
            func.sum(Obligation.visited_households),
            func.sum(Obligation.cards_found),
            func.max(Obligation.banks_involved),
        )
        .where(*monthly_filters(scope))
        .group_by(Obligation.unit_id)
    )
    for unit_id, *values in session.execute(survey):
        by_unit[unit_id].update(zip(SURVEY, (int(v or 0) for v in values), strict=True))
    for group in ledger_groups(session, scope) if ledger is None else ledger:
        figures = by_unit[group.unit_id]
        figures[LEDGER_CARDS] += group.cards_illegal
        figures["recovered_fen"] += group.recovered_fen
        figures["returned_fen"] += group.returned_fen
    # Clues grouped by unit_id + 0, as ledger_groups.
    unit = scanned(Problem.unit_id).label("unit")
    clues = (
        select(unit, func.count(Clue.id), *(func.sum(getattr(Clue, name)) for name in CLUE_SUMS))
        .join(Problem, Problem.id == Clue.problem_id)
        .where(*clue_filters(scope))
        .group_by(unit)
    )
    for unit_id, count, *values in session.execute(clues):
        figures = by_unit[unit_id]
        figures["clues"] = int(count)
        for name, value in zip(CLUE_SUMS, values, strict=True):
            figures[name] += int(value or 0)
    return by_unit


def _fold(figures: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = dict.fromkeys(FIGURES, 0)
    for one in figures:
        for name, value in one.items():
            total[name] = max(total[name], value) if name in MAXIMA else total[name] + value
    return total


def attachment3(
    session: Session, scope: ReportScope, *, by_township: bool = False
) -> table.Attachment3Table:
    """One row per county-level unit in scope (or per township), then 合计."""
    plan = layout(session, scope, by_township)
    ledger = ledger_groups(session, scope)
    work = activity(session, scope, plan, ledger)
    figures = unit_figures(session, scope, ledger)
    rows: list[table.Row] = []
    keyed: list[tuple[str, str, int | None, int | None]] = [
        (node.code, node.name, node.id, node.population) for node in plan.rows
    ]
    if any(row is None for row in plan.row_of.values()):
        keyed.append((OTHER_KEY, OTHER_NAMES[by_township], None, None))
    # Each unit's row once (a province has 1,251 township rows over 27,000 units: asking
    # every row for its members was 34 million comparisons a table).
    members_of: dict[int | None, list[int]] = defaultdict(list)
    for unit_id, row_id in plan.row_of.items():
        members_of[row_id].append(unit_id)
    townships_of = Counter(plan.row_of.get(t) for t in work.townships)
    villages_of = Counter(plan.row_of.get(v) for v in work.villages)
    for number, (key, name, row_id, population) in enumerate(keyed, start=1):
        members = members_of.get(row_id, [])
        values: dict[str, int | None] = dict(_fold(figures[u] for u in members if u in figures))
        values["population"] = population
        values["townships"] = townships_of.get(row_id, 0)
        values["villages"] = villages_of.get(row_id, 0)
        values["other"] = None
        if row_id is None and not any(values.values()):
            continue  # nothing outside the rows: no row for it
        rows.append(table.Row(number, name, key, values))
    total: dict[str, int | None] = dict(_fold(figures.values()))
    known = [row.population for row in plan.rows if row.population is not None]
    total["population"] = plan.root.population or (sum(known) if known else None)
    total["townships"] = len(work.townships)
    total["villages"] = len(work.villages)
    total["other"] = None
    rows.append(table.Row(None, table.TOTAL, "", total, kind="total"))
    return table.Attachment3Table(scope.unit_name, scope.period_label, tuple(rows), by_township)
