"""Reconciliation (数字核对) of 附件2, 附件3 and the ledger for a scope.

The tables are computed through the very functions the reports page, the downloads and
`ykt export` use (附件3 both by county-level unit and by township); the ledger's figures a
second way (campaign.reports.ledger_figures). Then every disagreement is listed:

- between the tables: 附件2's 违规代管 合计 against 附件3's, each 合计 against its rows (exact
  分; 涉及到的银行家数 is the largest of the rows, 县总人口数 and 其他 are not sums);
- between a table and the ledger: every cell of 附件2, every ledger column of every row of
  附件3 (cards, rectification money plus the commission's, clue outcomes), counted entries of a
  programme or unit that no row holds;
- about single records (campaign.reports.record_checks): a counted entry whose figure breaks
  its category's rule, money beyond an entry's amount, clues and money of entries that do not
  count, and (warnings) monthly reports whose cards differ from the ledger's.

Errors mean the figures cannot be signed as they are; warnings do not (docs/reports.md)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from campaign.models import Clue, Problem, Programme, StatCategory
from campaign.reports.attachment2 import attachment2
from campaign.reports.attachment3 import OTHER_KEY, attachment3
from campaign.reports.findings import (
    Code,
    Finding,
    Reconciliation,
    RecordRef,
    Severity,
    figure,
)
from campaign.reports.ledger_figures import (
    CLUE_COLUMNS,
    LEDGER_COLUMNS,
    LedgerFigures,
    UnitTree,
    clue_moment_filters,
    counted_in_campaign,
    entry_filters,
    fold,
    ledger_figures,
)
from campaign.reports.record_checks import RECORDS_SHOWN, all_record_checks
from campaign.reports.scope import ReportScope, unit_filter
from forms.tables import attachment2 as table2
from forms.tables import attachment3 as table3

NOT_SUMS = frozenset({"population", "other"})  # 附件3 columns whose 合计 is not a sum
LARGEST = frozenset({"banks_involved"})  # 附件3 columns whose 合计 is the largest row
MONEY_3 = frozenset(c.key for c in table3.COLUMNS if c.measure == "money")
SOURCES = {
    "cards_illegal": "违规代管问题的张数",
    "recovered_fen": "整改登记与纪检监察机关登记",
    "returned_fen": "整改登记与纪检监察机关登记",
}


def check_figures(
    session: Session,
    scope: ReportScope,
    *,
    limit: int | None = None,
    attachment2_table: table2.Attachment2Table | None = None,
    attachment3_table: table3.Attachment3Table | None = None,
) -> Reconciliation:
    """Every inconsistency of the scope's figures. limit: at most this many findings about
    single records of each kind (the rest counted in `omitted`); None lists them all. A page
    that has computed the tables already may hand them in."""
    tree = UnitTree.load(session)
    t2 = attachment2_table or attachment2(session, scope)
    given = {attachment3_table.by_township: attachment3_table} if attachment3_table else {}
    tables3 = [given.get(by) or attachment3(session, scope, by_township=by) for by in (False, True)]
    ledger = ledger_figures(session, scope, tree)
    findings = _attachment2_totals(t2)
    findings += _attachment2_cells(session, scope, t2, ledger)
    for t3 in tables3:
        findings += _cards_2_vs_3(t2, t3)
        findings += _attachment3_totals(t3)
        findings += _attachment3_rows(session, scope, t3, ledger, tree)
    records = all_record_checks(session, scope, tree, limit)
    label = " ".join(part for part in (scope.unit_name, scope.period_label) if part)
    return Reconciliation(label, tuple(findings + records.findings), records.omitted)


def name3(t3: table3.Attachment3Table) -> str:
    return "附件3（按乡镇）" if t3.by_township else "附件3"


def _label3(key: str) -> str:
    for group, columns in table3.GROUPS:
        for column in columns:
            if column.key == key:
                return f"“{group}—{column.name}”" if group else f"“{column.name}”"
    return key


def _measure3(key: str) -> str:
    return "money" if key in MONEY_3 else "cards" if key == "cards_illegal" else "count"


def _cards_2_vs_3(t2: table2.Attachment2Table, t3: table3.Attachment3Table) -> list[Finding]:
    total2 = next(r for r in t2.rows if r.kind == "total")
    total3 = next(r for r in t3.rows if r.kind == "total")
    cards2 = sum(v for v, c in zip(total2.values, t2.columns, strict=True) if c.measure == "cards")
    cards3 = int(total3.values.get("cards_illegal") or 0)
    if cards2 == cards3:
        return []
    return [
        Finding(
            Severity.ERROR,
            Code.CARDS_2_VS_3,
            f"附件2“合计”行“违规代管“一卡通”数量”为 {figure(cards2, 'cards')}，{name3(t3)}"
            f"“合计”行“违规代管“一卡通”数量”为 {figure(cards3, 'cards')}，两表不一致。",
        )
    ]


def _attachment2_totals(t2: table2.Attachment2Table) -> list[Finding]:
    rows = [r for r in t2.rows if r.kind == "programme"]
    total = next(r for r in t2.rows if r.kind == "total")
    findings = []
    for i, column in enumerate(t2.columns):
        summed = sum(r.values[i] for r in rows)
        if total.values[i] != summed:
            findings.append(
                Finding(
                    Severity.ERROR,
                    Code.TOTAL_2,
                    f"附件2“合计”行“{column.name}”为 {figure(total.values[i], column.measure)}，"
                    f"各项目行之和为 {figure(summed, column.measure)}。",
                )
            )
    return findings


def _attachment3_totals(t3: table3.Attachment3Table) -> list[Finding]:
    rows = [r for r in t3.rows if r.kind != "total"]
    total = next(r for r in t3.rows if r.kind == "total")
    findings = []
    for column in table3.COLUMNS:
        if column.key in NOT_SUMS:
            continue
        values = [int(r.values.get(column.key) or 0) for r in rows]
        expected = max(values, default=0) if column.key in LARGEST else sum(values)
        shown = int(total.values.get(column.key) or 0)
        if shown != expected:
            how = "各行中的最大值" if column.key in LARGEST else "各行之和"
            measure = _measure3(column.key)
            findings.append(
                Finding(
                    Severity.ERROR,
                    Code.TOTAL_3,
                    f"{name3(t3)}“合计”行{_label3(column.key)}为 {figure(shown, measure)}，"
                    f"{how}为 {figure(expected, measure)}。",
                )
            )
    return findings


def _attachment2_cells(
    session: Session, scope: ReportScope, t2: table2.Attachment2Table, ledger: LedgerFigures
) -> list[Finding]:
    programmes = {
        code: (pid, name)
        for pid, code, name in session.execute(
            select(Programme.id, Programme.code, Programme.name).where(
                Programme.campaign_id == scope.campaign_id
            )
        )
    }
    categories = {
        code: cid for code, cid in session.execute(select(StatCategory.code, StatCategory.id))
    }
    totals: dict[int, int] = {}
    for (_, category), value in ledger.cells.items():
        totals[category] = totals.get(category, 0) + value
    findings = []
    shown_programmes = set()
    for row in t2.rows:
        if row.kind == "section":
            continue
        # -1: a programme row the campaign does not know (nothing of the ledger is in it)
        pid = programmes.get(row.key, (-1, ""))[0] if row.kind == "programme" else None
        shown_programmes.add(pid)
        for i, column in enumerate(t2.columns):
            category = categories.get(column.key, -1)
            if pid is None:
                expected = totals.get(category, 0)
            else:
                expected = ledger.cells.get((pid, category), 0)
            if row.values[i] == expected:
                continue
            where = [Problem.stat_category_id == category]
            if pid is not None:
                where.append(Problem.programme_id == pid)
            records, more = _entries(session, scope, where)
            findings.append(
                Finding(
                    Severity.ERROR,
                    Code.CELL_2,
                    f"附件2“{row.name}”行“{column.name}”为 "
                    f"{figure(row.values[i], column.measure)}，"
                    f"台账中计入该格的问题合计 {figure(expected, column.measure)}。",
                    records,
                    more,
                )
            )
    for pid in sorted({p for p, _ in ledger.cells} - shown_programmes):
        records, more = _entries(session, scope, [Problem.programme_id == pid])
        programme = session.get(Programme, pid)
        named = f"“{programme.name}”（{programme.code}）" if programme else f"（编号 {pid}）"
        findings.append(
            Finding(
                Severity.ERROR,
                Code.OUTSIDE_2,
                f"台账中计入报表的问题属于补贴项目{named}，附件2中没有这一行：这些问题"
                "计入了附件2的“合计”，却不在任何项目行中。",
                records,
                more,
            )
        )
    return findings


def _attachment3_rows(
    session: Session,
    scope: ReportScope,
    t3: table3.Attachment3Table,
    ledger: LedgerFigures,
    tree: UnitTree,
) -> list[Finding]:
    members: dict[str, list[int]] = {}
    rows_of = tree.rows_of(scope.unit_id, t3.by_township)
    for unit in ledger.units:
        row_unit = rows_of.get(unit)
        key = tree.nodes[row_unit].code if row_unit is not None else OTHER_KEY
        members.setdefault(key, []).append(unit)
    findings = []
    shown = set()
    for row in t3.rows:
        units = members.get(row.key, []) if row.kind != "total" else list(ledger.units)
        shown.add(row.key)
        expected = fold(ledger.units[u] for u in units)
        for key in LEDGER_COLUMNS:
            value = int(row.values.get(key) or 0)
            if value == expected[key]:
                continue
            measure = _measure3(key)
            source = SOURCES.get(key, "所计问题的线索")
            within = units if row.kind != "total" else None
            records, more = _row_records(session, scope, within, key, ledger)
            findings.append(
                Finding(
                    Severity.ERROR,
                    Code.ROW_3,
                    f"{name3(t3)}“{row.name}”行{_label3(key)}为 {figure(value, measure)}，"
                    f"台账（{source}）合计 {figure(expected[key], measure)}。",
                    records,
                    more,
                )
            )
    for key, units in members.items():
        figures = fold(ledger.units[u] for u in units)
        if key in shown or not any(figures.values()):
            continue
        records, more = _entries(session, scope, [Problem.unit_id.in_(sorted(units))])
        names = "、".join(tree.nodes[u].name for u in sorted(units)[:5])
        findings.append(
            Finding(
                Severity.ERROR,
                Code.OUTSIDE_3,
                f"{names}等单位的问题计入了附件2，但{name3(t3)}没有容纳它们的行"
                f"（违规代管“一卡通” {figure(figures['cards_illegal'], 'cards')}）。",
                records,
                more,
            )
        )
    return findings


def _entries(
    session: Session, scope: ReportScope, where: Sequence[ColumnElement[bool]]
) -> tuple[tuple[RecordRef, ...], int]:
    """The counted entries of the scope under extra conditions: the first few, and how many
    more there are."""
    query = (
        select(Problem.id, Problem.number)
        .where(*entry_filters(scope), *where, _in_scope(scope))
        .order_by(Problem.number)
        .limit(RECORDS_SHOWN + 1)
    )
    rows = session.execute(query).all()
    refs = tuple(RecordRef("problem", pid, number, pid) for pid, number in rows[:RECORDS_SHOWN])
    return refs, max(0, len(rows) - RECORDS_SHOWN)


def _in_scope(scope: ReportScope) -> ColumnElement[bool]:
    return unit_filter(scope, Problem.unit_id)


def _row_records(
    session: Session, scope: ReportScope, units: list[int] | None, key: str, ledger: LedgerFigures
) -> tuple[tuple[RecordRef, ...], int]:
    """The records behind a ledger column of a row of 附件3 (units None: the whole scope)."""
    within: list[ColumnElement[bool]] = (
        [true()] if units is None else [Problem.unit_id.in_(sorted(units))]
    )
    refs: list[RecordRef] = []
    more = 0
    if key == "cards_illegal":
        in_cards = [c for c, measure in ledger.measures.items() if measure == "cards"]
        found, more = _entries(session, scope, [*within, Problem.stat_category_id.in_(in_cards)])
        refs.extend(found)
    elif key in ("recovered_fen", "returned_fen"):
        found, more = _entries(session, scope, [*within, getattr(Problem, key) > 0])
        refs.extend(found)
    if key == "clues" or key in CLUE_COLUMNS:
        condition = true() if key == "clues" else getattr(Clue, key) > 0
        query = (
            select(Clue.id, Clue.number, Clue.problem_id)
            .join(Problem, Problem.id == Clue.problem_id)
            .where(
                *counted_in_campaign(scope),
                _in_scope(scope),
                *within,
                *clue_moment_filters(scope),
                condition,
            )
            .order_by(Clue.number)
            .limit(RECORDS_SHOWN + 1)
        )
        rows = session.execute(query).all()
        shown = rows[:RECORDS_SHOWN]
        refs.extend(RecordRef("clue", cid, number, pid) for cid, number, pid in shown)
        more += max(0, len(rows) - RECORDS_SHOWN)
    return tuple(refs), more
