"""The reconciliation of 附件2, 附件3 and the ledger (campaign.reports.reconciliation): a
consistent ledger gives no error; data corrupted the ways real data goes wrong (a figure set
directly in SQL, a clue moved to an entry that does not count, money counted twice, an entry
of another campaign's programme) and tables that disagree (as a defect in their code would
make them) are each named, with both figures and the records concerned."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaign import reports
from campaign.models import Campaign, Clue, Problem, Programme
from campaign.reports.findings import Code, Finding, Reconciliation, Severity
from campaign.reports.reconciliation import check_figures
from campaign.workflow_host import CampaignHost
from tests.reports.conftest import ENTRIES, register_all

VOIDED_AT = datetime(2022, 6, 14, tzinfo=UTC)


def check(session: Session, **scope: object) -> Reconciliation:
    session.expire_all()
    return check_figures(session, reports.report_scope(session, **scope))  # type: ignore[arg-type]


def of(result: Reconciliation, code: Code) -> list[Finding]:
    return [f for f in result.findings if f.code is code]


def test_a_consistent_ledger_has_no_error_and_monthly_reports_are_compared(
    db_session: Session, ledger: list[Problem], on_record: None
) -> None:
    result = check(db_session)
    assert result.consistent and result.errors == []
    # The monthly reports' own 违规代管 counts against the ledger's: warnings only.
    assert {f.code for f in result.warnings} == {Code.MONTHLY_CARDS}
    messages = [f.message for f in result.warnings]
    assert (
        "白沙镇 2022-06 月报填报违规代管“一卡通” 0 张，台账中该单位当月发现并计入报表的"
        "违规代管“一卡通”为 5 张（附件3取台账数）。"
    ) in messages
    assert [f.records[0].reference for f in result.warnings] == [
        "QSZ 2022-05",
        "QSZ 2022-06",
        "BSZ 2022-06",
    ]
    assert check(db_session, unit_code="LHX").findings == ()


def test_cards_of_a_counted_entry_set_to_zero_directly_in_sql(
    db_session: Session, ledger: list[Problem]
) -> None:
    s12 = ledger[6]  # BSZ, 违规代管, 3 cards
    db_session.execute(update(Problem).where(Problem.id == s12.id).values(cards=0))
    result = check(db_session)
    assert not result.consistent
    [finding] = result.errors
    assert finding.code is Code.CATEGORY_RULE and finding.severity is Severity.ERROR
    assert finding.message == (
        f"问题 {s12.number}（白沙镇，“违规代管“一卡通”数量”）已计入报表，"
        "但违规代管“一卡通”数量为 0 张，按张数统计的类别至少应有 1 张："
        "它在附件2、附件3中不占任何数字。"
    )
    assert [(r.kind, r.problem_id) for r in finding.records] == [("problem", s12.id)]


def test_a_money_entry_of_zero_is_named(db_session: Session, ledger: list[Problem]) -> None:
    db_session.execute(update(Problem).where(Problem.id == ledger[9].id).values(amount_fen=0))
    [finding] = check(db_session).errors
    assert finding.code is Code.CATEGORY_RULE
    assert "涉及金额为 0.00 元，按金额统计的类别应大于 0 元" in finding.message


def test_a_clue_moved_to_a_voided_entry_is_an_error_to_one_waiting_for_review_a_warning(
    db_session: Session, ledger: list[Problem], on_record: None, host: CampaignHost
) -> None:
    waiting, voided = register_all(db_session, host, ENTRIES[:2], reviewed=False)
    db_session.execute(update(Problem).where(Problem.id == voided.id).values(voided_at=VOIDED_AT))
    clue = db_session.scalars(select(Clue).where(Clue.number == "XS-T-0001")).one()
    db_session.execute(update(Clue).where(Clue.id == clue.id).values(problem_id=voided.id))
    result = check(db_session)
    [finding] = of(result, Code.CLUE_UNCOUNTED)
    assert finding.severity is Severity.ERROR and not result.consistent
    assert finding.message == (
        f"线索 XS-T-0001 所属问题 {voided.number}已作废（有线索的问题不应作废），"
        "该线索及其处置结果未计入附件3。"
    )
    assert [r.reference for r in finding.records] == ["XS-T-0001", voided.number]

    db_session.execute(update(Clue).where(Clue.id == clue.id).values(problem_id=waiting.id))
    result = check(db_session)
    assert result.consistent
    [finding] = of(result, Code.CLUE_WAITING)
    assert finding.severity is Severity.WARNING and "登记尚未审核通过" in finding.message


def test_money_recovered_beyond_the_entry_amount_is_probably_counted_twice(
    db_session: Session, ledger: list[Problem], on_record: None
) -> None:
    # 3,600.00 元 entry; the commission recorded 3,600.00 元 recovered on its clue already.
    first = ledger[0]
    db_session.execute(update(Problem).where(Problem.id == first.id).values(recovered_fen=1))
    [finding] = check(db_session).errors
    assert finding.code is Code.MONEY_EXCEEDS
    assert finding.message == (
        f"问题 {first.number}（青山镇）涉及金额 3,600.00 元，追缴收回合计 3,600.01 元"
        "（整改登记 0.01 元，纪检监察机关登记 3,600.00 元），超过涉及金额，可能重复计算："
        "纪检监察机关只登记整改单位已登记之外的金额。"
    )
    assert [r.reference for r in finding.records] == [first.number, "XS-T-0001"]


def test_rectification_money_on_an_entry_that_does_not_count(
    db_session: Session, ledger: list[Problem], host: CampaignHost
) -> None:
    [waiting] = register_all(db_session, host, ENTRIES[:1], reviewed=False)
    db_session.execute(update(Problem).where(Problem.id == waiting.id).values(returned_fen=50))
    [finding] = check(db_session).errors
    assert finding.code is Code.MONEY_UNCOUNTED
    assert "返还发放 0.50 元" in finding.message and "登记尚未审核通过" in finding.message


def test_an_entry_of_another_campaigns_programme_has_no_row_in_attachment2(
    db_session: Session, ledger: list[Problem]
) -> None:
    other = Campaign(
        code="2021-X",
        name="上一轮",
        year=2021,
        starts_on=date(2021, 1, 1),
        ends_on=date(2021, 12, 31),
    )
    db_session.add(other)
    db_session.flush()
    stray = Programme(
        campaign_id=other.id, code="OLD", name="旧项目", level="central", sort_order=1
    )
    db_session.add(stray)
    db_session.flush()
    db_session.execute(
        update(Problem).where(Problem.id == ledger[0].id).values(programme_id=stray.id)
    )
    result = check(db_session)
    codes = {f.code for f in result.errors}
    assert codes == {Code.TOTAL_2, Code.OUTSIDE_2}, result.errors
    [outside] = of(result, Code.OUTSIDE_2)
    assert "“旧项目”（OLD）" in outside.message
    assert [r.reference for r in outside.records] == [ledger[0].number]
    [total] = of(result, Code.TOTAL_2)
    assert total.message == "附件2“合计”行“截留挪用”为 4,835.55 元，各项目行之和为 1,235.55 元。"


def test_tables_that_disagree_are_named_with_both_figures(
    db_session: Session, ledger: list[Problem], on_record: None
) -> None:
    scope = reports.report_scope(db_session)
    table2 = reports.attachment2(db_session, scope)
    s12 = next(i for i, c in enumerate(table2.columns) if c.key == "S12")
    rows = list(table2.rows)
    total = rows[-1]
    rows[-1] = replace(
        total, values=tuple(v + (1 if i == s12 else 0) for i, v in enumerate(total.values))
    )
    wrong2 = replace(table2, rows=tuple(rows))
    result = check_figures(db_session, scope, attachment2_table=wrong2)
    assert {f.code for f in result.errors} == {Code.CARDS_2_VS_3, Code.TOTAL_2, Code.CELL_2}
    assert (
        "附件2“合计”行“违规代管“一卡通”数量”为 6 张，附件3（按乡镇）“合计”行"
        "“违规代管“一卡通”数量”为 5 张，两表不一致。"
    ) in [f.message for f in result.errors]

    table3 = reports.attachment3(db_session, scope, by_township=True)
    qsz = next(r for r in table3.rows if r.key == "QSZ")
    changed = replace(qsz, values={**qsz.values, "recovered_fen": 1})
    wrong3 = replace(table3, rows=tuple(changed if r is qsz else r for r in table3.rows))
    result = check_figures(db_session, scope, attachment3_table=wrong3)
    assert {f.code for f in result.errors} == {Code.ROW_3, Code.TOTAL_3}
    [row] = of(result, Code.ROW_3)
    assert row.message == (
        "附件3（按乡镇）“青山镇”行“整改问责情况—追缴收回资金金额”为 0.01 元，"
        "台账（整改登记与纪检监察机关登记）合计 3,600.00 元。"
    )
    assert [r.reference for r in row.records] == ["XS-T-0001"]

    missing = replace(table3, rows=tuple(r for r in table3.rows if r.key != "BSZ"))
    result = check_figures(db_session, scope, attachment3_table=missing)
    assert Code.OUTSIDE_3 in {f.code for f in result.errors}
    [outside] = of(result, Code.OUTSIDE_3)
    assert outside.message.startswith("白沙镇") and "违规代管“一卡通” 5 张" in outside.message


def test_a_limit_lists_the_first_findings_of_a_kind_and_counts_the_rest(
    db_session: Session, ledger: list[Problem]
) -> None:
    ids = [ledger[9].id, ledger[10].id]
    db_session.execute(update(Problem).where(Problem.id.in_(ids)).values(amount_fen=0))
    db_session.expire_all()
    result = check_figures(db_session, reports.report_scope(db_session), limit=1)
    assert len(result.errors) == 1 and result.omitted == {Code.CATEGORY_RULE: 1}
    assert result.error_count == 2 and not result.consistent


def test_the_money_drill_down_of_one_township_is_one_statement(
    db_session: Session, ledger: list[Problem], on_record: None
) -> None:
    # The UNION of entries and clues filters both parts by the same unit: one CTE, not two
    # of the same name (which SQL refused, a 500 on the page).
    scope = reports.report_scope(db_session, unit_code="QSZ")
    evidence = reports.attachment3_cell(db_session, scope, column="recovered_fen", row="QSZ")
    assert evidence.total == 360000 and [i.reference for i in evidence.items] == ["XS-T-0001"]
