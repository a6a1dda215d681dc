"""Findings about single records of the reconciliation: counted entries whose figure breaks
their category's rule, money recovered or returned beyond an entry's amount, clues and
rectification money of entries that do not count, monthly reports whose 违规代管 cards
differ from the ledger's. Each check is one query returning only the records at fault."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select, true
from sqlalchemy.orm import Session

from campaign.models import Clue, Obligation, Problem, StatCategory, Unit
from campaign.reports.counting import counted
from campaign.reports.findings import Code, Finding, RecordRef, Severity, figure, yuan
from campaign.reports.ledger_figures import UnitTree, clue_moment_filters
from campaign.reports.scope import ReportScope, scanned

RECORDS_SHOWN = 10  # records listed with a finding about a figure; the rest are counted


@dataclass
class Found:
    findings: list[Finding]
    omitted: dict[Code, int]


def unit_clause(
    scope: ReportScope, tree: UnitTree, column: Any = Problem.unit_id
) -> ColumnElement[bool]:
    if tree.children.get(None, []) == [scope.unit_id]:
        return true()
    return column.in_(sorted(tree.below(scope.unit_id)))


def _entries(scope: ReportScope, tree: UnitTree) -> list[ColumnElement[bool]]:
    """Every entry of the scope's ledger by 发现日期, counted or not."""
    clauses = [scanned(Problem.campaign_id) == scope.campaign_id, unit_clause(scope, tree)]
    if scope.date_from:
        clauses.append(Problem.discovered_on >= scope.date_from)
    if scope.date_to:
        clauses.append(Problem.discovered_on <= scope.date_to)
    return clauses


def _entry(row: Any) -> RecordRef:
    return RecordRef("problem", row.id, row.number, row.id)


def entry_anomalies(
    session: Session, scope: ReportScope, tree: UnitTree, limit: int | None
) -> tuple[list[Finding], dict[Code, int]]:
    """One pass over the scope's entries for the three findings about an entry:

    - a counted entry whose cell figure is missing (a category counted in cards with no card,
      a money category with no amount: rows older than the rule, or changed since);
    - a counted entry whose money recovered or returned (rectification and clues together)
      is more than its 涉及金额: the commission records only money beyond the unit's, so this
      is probably the same money counted twice. Each kind is compared on its own: the same
      元 may be both taken back from the wrong payee and paid to the rightful one;
    - rectification money on an entry that does not count, so not in 附件3."""
    cards_ids = list(
        session.scalars(select(StatCategory.id).where(StatCategory.measure == "cards"))
    )
    by_clues = (
        select(
            Clue.problem_id.label("problem_id"),
            func.sum(Clue.recovered_fen).label("recovered"),
            func.sum(Clue.returned_fen).label("returned"),
        )
        .group_by(Clue.problem_id)
        .subquery()
    )
    in_cards = Problem.stat_category_id.in_(cards_ids)
    is_counted = and_(*counted())
    recovered = Problem.recovered_fen + func.coalesce(by_clues.c.recovered, 0)
    returned = Problem.returned_fen + func.coalesce(by_clues.c.returned, 0)
    query = (
        select(
            Problem.id,
            Problem.number,
            Problem.cards,
            Problem.amount_fen,
            Problem.recovered_fen,
            Problem.returned_fen,
            Problem.voided_at,
            in_cards.label("in_cards"),
            is_counted.label("counts"),
            recovered.label("recovered"),
            returned.label("returned"),
            Unit.name.label("unit"),
            StatCategory.name.label("category"),
        )
        .join(Unit, Unit.id == Problem.unit_id)
        .join(StatCategory, StatCategory.id == Problem.stat_category_id)
        .outerjoin(by_clues, by_clues.c.problem_id == Problem.id)
        .where(
            *_entries(scope, tree),
            or_(
                and_(
                    is_counted,
                    or_(
                        and_(in_cards, Problem.cards < 1),
                        and_(not_(in_cards), Problem.amount_fen <= 0),
                        and_(
                            Problem.amount_fen > 0,
                            or_(recovered > Problem.amount_fen, returned > Problem.amount_fen),
                        ),
                    ),
                ),
                and_(not_(is_counted), or_(Problem.recovered_fen > 0, Problem.returned_fen > 0)),
            ),
        )
    )
    # Sorted here, not in SQL: ORDER BY number had SQLite walk the number index and fetch
    # every entry at random; only the few entries at fault come back.
    found: dict[Code, list[Finding]] = defaultdict(list)
    rows = sorted(session.execute(query).all(), key=lambda row: row.number)
    clues = _clues_of(session, [r.id for r in rows if r.counts and r.amount_fen > 0])
    for row in rows:
        if not row.counts:
            found[Code.MONEY_UNCOUNTED].append(_money_uncounted(row))
            continue
        broken = _rule_broken(row)
        if broken:
            found[Code.CATEGORY_RULE].append(broken)
        if row.amount_fen > 0 and max(row.recovered, row.returned) > row.amount_fen:
            found[Code.MONEY_EXCEEDS].append(_money_exceeds(row, clues.get(row.id, [])))
    return _limited(found, (Code.CATEGORY_RULE, Code.MONEY_EXCEEDS, Code.MONEY_UNCOUNTED), limit)


def _rule_broken(row: Any) -> Finding | None:
    if row.in_cards and row.cards < 1:
        broken = f"违规代管“一卡通”数量为 {row.cards} 张，按张数统计的类别至少应有 1 张"
    elif not row.in_cards and row.amount_fen <= 0:
        broken = f"涉及金额为 {yuan(row.amount_fen)}，按金额统计的类别应大于 0 元"
    else:
        return None
    return Finding(
        Severity.ERROR,
        Code.CATEGORY_RULE,
        f"问题 {row.number}（{row.unit}，“{row.category}”）已计入报表，但{broken}："
        "它在附件2、附件3中不占任何数字。",
        (_entry(row),),
    )


def _money_exceeds(row: Any, clues: list[RecordRef]) -> Finding:
    parts = []
    for label, total, own in (
        ("追缴收回", row.recovered, row.recovered_fen),
        ("返还发放", row.returned, row.returned_fen),
    ):
        if total > row.amount_fen:
            parts.append(
                f"{label}合计 {yuan(total)}（整改登记 {yuan(own)}，"
                f"纪检监察机关登记 {yuan(total - own)}）"
            )
    return Finding(
        Severity.ERROR,
        Code.MONEY_EXCEEDS,
        f"问题 {row.number}（{row.unit}）涉及金额 {yuan(row.amount_fen)}，"
        f"{'；'.join(parts)}，超过涉及金额，可能重复计算：纪检监察机关只登记整改单位"
        "已登记之外的金额。",
        (_entry(row), *clues),
    )


def _money_uncounted(row: Any) -> Finding:
    return Finding(
        Severity.ERROR,
        Code.MONEY_UNCOUNTED,
        f"问题 {row.number}（{row.unit}）{_why_not_counted(row.voided_at)}，不计入报表，"
        f"却登记了整改追缴收回 {yuan(row.recovered_fen)}、返还发放 {yuan(row.returned_fen)}："
        "这些资金不在附件3中。",
        (_entry(row),),
    )


def _clues_of(session: Session, problem_ids: list[int]) -> dict[int, list[RecordRef]]:
    found: dict[int, list[RecordRef]] = defaultdict(list)
    if problem_ids:
        query = (
            select(Clue.id, Clue.number, Clue.problem_id)
            .where(Clue.problem_id.in_(problem_ids))
            .order_by(Clue.number)
        )
        for clue_id, number, problem_id in session.execute(query):
            found[problem_id].append(RecordRef("clue", clue_id, number, problem_id))
    return found


def _why_not_counted(voided_at: object) -> str:
    return "已作废" if voided_at is not None else "登记尚未审核通过"


def clues_uncounted(
    session: Session, scope: ReportScope, tree: UnitTree, limit: int | None
) -> tuple[list[Finding], dict[Code, int]]:
    """Clues in scope whose entry does not count, so 附件3 leaves them out: of a voided
    entry (an error: an entry with a clue cannot be voided), or of an entry still waiting for
    its review (a warning: the clue counts once the entry is approved). Clues drive the
    query (there are far fewer of them than entries): the campaign filter is `scanned`, or
    SQLite would walk every entry of the campaign through its index to find the few clues."""
    query = (
        select(
            Clue.id, Clue.number, Problem.id.label("problem_id"),
            Problem.number.label("entry"), Problem.voided_at,
        )
        .join(Problem, Problem.id == Clue.problem_id)
        .where(
            scanned(Problem.campaign_id) == scope.campaign_id,
            unit_clause(scope, tree),
            *clue_moment_filters(scope),
            not_(and_(*counted())),
        )
        .order_by(Clue.number)
    )  # fmt: skip
    found: dict[Code, list[Finding]] = defaultdict(list)
    for row in session.execute(query):
        if row.voided_at is not None:
            severity, code, why = (
                Severity.ERROR,
                Code.CLUE_UNCOUNTED,
                "已作废（有线索的问题不应作废）",
            )
        else:
            severity, code, why = Severity.WARNING, Code.CLUE_WAITING, "登记尚未审核通过"
        found[code].append(
            Finding(
                severity,
                code,
                f"线索 {row.number} 所属问题 {row.entry}{why}，该线索及其处置结果未计入附件3。",
                (
                    RecordRef("clue", row.id, row.number, row.problem_id),
                    RecordRef("problem", row.problem_id, row.entry, row.problem_id),
                ),
            )
        )
    return _limited(found, (Code.CLUE_UNCOUNTED, Code.CLUE_WAITING), limit)


def _limited(
    found: dict[Code, list[Finding]], order: tuple[Code, ...], limit: int | None
) -> tuple[list[Finding], dict[Code, int]]:
    """The findings in order, at most `limit` of each kind, and how many were left out."""
    omitted = {}
    for code, listed in found.items():
        if limit is not None and len(listed) > limit:
            omitted[code] = len(listed) - limit
            del listed[limit:]
    return [f for code in order for f in found.get(code, [])], omitted


def monthly_cards(
    session: Session, scope: ReportScope, tree: UnitTree, limit: int | None
) -> tuple[list[Finding], dict[Code, int]]:
    """Submitted monthly reports whose 违规代管“一卡通”数量 differs from the cards of the
    counted 违规代管 entries their unit (and the units below it) found that month. 附件3 takes
    the ledger's figure; the report's own count is compared, not used."""
    reports = session.execute(
        select(Obligation.id, Obligation.unit_id, Obligation.period, Obligation.cards_illegal)
        .where(
            Obligation.campaign_id == scope.campaign_id,
            Obligation.deadline_code == "monthly_report",
            Obligation.status == "submitted",
            unit_clause(scope, tree, Obligation.unit_id),
            *_months(scope),
        )
        .order_by(Obligation.period, Obligation.unit_id)
    ).all()
    if not reports:
        return [], {}
    reporter: dict[int, int] = {}
    for report in reports:
        for unit in tree.below(report.unit_id):
            reporter.setdefault(unit, report.unit_id)
    months = sorted({r.period for r in reports})
    cards: dict[tuple[int, str], int] = defaultdict(int)
    cards_ids = select(StatCategory.id).where(StatCategory.measure == "cards")
    query = (
        select(Problem.unit_id, Problem.discovered_on, func.sum(Problem.cards))
        .where(
            scanned(Problem.campaign_id) == scope.campaign_id,
            *counted(),
            Problem.stat_category_id.in_(cards_ids),
            Problem.discovered_on >= date.fromisoformat(f"{months[0]}-01"),
            Problem.discovered_on < _month_after(months[-1]),
            unit_clause(scope, tree),
        )
        .group_by(Problem.unit_id, Problem.discovered_on)
    )
    for unit_id, day, total in session.execute(query):
        filer = reporter.get(unit_id)
        if filer is not None:
            cards[(filer, f"{day:%Y-%m}")] += int(total or 0)
    findings = []
    for report in reports:
        ledger = cards.get((report.unit_id, report.period), 0)
        if ledger == report.cards_illegal:
            continue
        node = tree.nodes[report.unit_id]
        reference = f"{node.code} {report.period}"
        findings.append(
            Finding(
                Severity.WARNING,
                Code.MONTHLY_CARDS,
                f"{node.name} {report.period} 月报填报违规代管“一卡通” "
                f"{figure(report.cards_illegal, 'cards')}，台账中该单位当月发现并计入报表的"
                f"违规代管“一卡通”为 {figure(ledger, 'cards')}（附件3取台账数）。",
                (RecordRef("obligation", report.id, reference),),
            )
        )
    return _limited({Code.MONTHLY_CARDS: findings}, (Code.MONTHLY_CARDS,), limit)


def _month_after(period: str) -> date:
    year, month = int(period[:4]), int(period[5:7])
    return date(year + month // 12, month % 12 + 1, 1)


def _months(scope: ReportScope) -> list[ColumnElement[bool]]:
    clauses = []
    if scope.date_from:
        clauses.append(Obligation.period >= f"{scope.date_from:%Y-%m}")
    if scope.date_to:
        clauses.append(Obligation.period <= f"{scope.date_to:%Y-%m}")
    return clauses


def all_record_checks(
    session: Session, scope: ReportScope, tree: UnitTree, limit: int | None
) -> Found:
    found = Found([], {})
    for check in (entry_anomalies, clues_uncounted, monthly_cards):
        findings, omitted = check(session, scope, tree, limit)
        found.findings.extend(findings)
        found.omitted.update(omitted)
    return found
