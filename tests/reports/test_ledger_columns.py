"""The import finds the sheet's columns by their header: columns it does not take are named
and left alone, a column it takes must be there once, the template of 14 columns made before
涉及人数 was added still imports, and the order of the columns is free."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.ledger_import import import_ledger
from campaign.models import Problem
from campaign.workflow_host import CampaignHost
from forms.ledger_excel import COLUMNS, read_ledger
from tests.reports.conftest import user
from tests.reports.sheets import good_row, workbook

OLD_TEMPLATE = [column for column in COLUMNS if column != "涉及人数"]


def count(session: Session) -> int:
    return session.scalar(select(func.count(Problem.id))) or 0


def imported(session: Session, numbers: list[str]) -> list[Problem]:
    return list(session.scalars(select(Problem).where(Problem.number.in_(numbers))))


def test_columns_the_import_does_not_take_are_named_and_left_alone(
    db_session: Session, host: CampaignHost
) -> None:
    header = ["备注", *COLUMNS, "状态", None, "核查人"]
    rows = [
        ["请核实", *good_row(), "整改中", "无表头的值", "王五"],
        [None, *good_row(**{"问题描述": "第二条"}), None, None, None],
    ]
    result = import_ledger(db_session, host, user(db_session, "ldxz_ban"), workbook(rows, header))
    assert result.ok, result.errors
    assert result.ignored == ["备注", "状态", "核查人", "R 列（无表头）"]
    assert result.ignored_note == "以下列不导入：备注、状态、核查人、R 列（无表头）。"
    entries = imported(db_session, result.created)
    assert sorted(p.description for p in entries) == ["村会计截留耕地地力保护补贴", "第二条"]
    assert {p.status for p in entries} == {"reviewing"} and {p.persons for p in entries} == {7}


def test_a_row_with_values_only_in_columns_not_taken_is_no_row(db_session: Session) -> None:
    header = [*COLUMNS, "状态"]
    rows = [[*good_row(), None], [*([None] * len(COLUMNS)), "已作废"]]
    sheet = read_ledger(workbook(rows, header))
    assert [number for number, _ in sheet.rows] == [2] and sheet.ignored == ("状态",)


def test_the_old_fourteen_column_template_still_imports(
    db_session: Session, host: CampaignHost
) -> None:
    assert len(OLD_TEMPLATE) == 14
    rows = [good_row(OLD_TEMPLATE)]
    result = import_ledger(
        db_session, host, user(db_session, "ldxz_ban"), workbook(rows, OLD_TEMPLATE)
    )
    assert result.ok and result.ignored == [] and result.ignored_note == ""
    [entry] = imported(db_session, result.created)
    assert (entry.persons, entry.households, entry.amount_fen) == (0, 3, 123456)


def test_the_order_of_the_columns_is_free(db_session: Session, host: CampaignHost) -> None:
    header = list(reversed(COLUMNS))
    rows = [good_row(header, **{"涉及人数": 11})]
    result = import_ledger(db_session, host, user(db_session, "ldxz_ban"), workbook(rows, header))
    assert result.ok, result.errors
    [entry] = imported(db_session, result.created)
    assert (entry.persons, entry.description) == (11, "村会计截留耕地地力保护补贴")
    assert entry.village is not None and entry.village.name == "青山村"


def test_a_column_the_import_takes_twice_is_refused_naming_both(
    db_session: Session, host: CampaignHost
) -> None:
    header = [*COLUMNS, "问题描述", "涉及金额（元）", "涉及金额（元）"]
    rows = [[*good_row(), "另一段描述", 1, 2]]
    before = count(db_session)
    result = import_ledger(db_session, host, user(db_session, "ldxz_ban"), workbook(rows, header))
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (1, "问题描述", "出现了 2 次（G、P 列），请只保留一列"),
        (1, "涉及金额（元）", "出现了 3 次（H、Q、R 列），请只保留一列"),
    ]
    assert result.created == [] and count(db_session) == before


def test_a_column_not_taken_may_appear_twice(db_session: Session, host: CampaignHost) -> None:
    header = [*COLUMNS, "备注", "备注"]
    rows = [[*good_row(), "一", "二"]]
    result = import_ledger(db_session, host, user(db_session, "ldxz_ban"), workbook(rows, header))
    assert result.ok and result.ignored == ["备注"]


def test_a_sheet_missing_a_required_column_is_refused(
    db_session: Session, host: CampaignHost
) -> None:
    header = [column for column in COLUMNS if column != "补贴项目"]
    rows = [[v for c, v in zip(COLUMNS, good_row(), strict=True) if c != "补贴项目"]]
    before = count(db_session)
    result = import_ledger(db_session, host, user(db_session, "ldxz_ban"), workbook(rows, header))
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (1, "补贴项目", "缺少此列；请使用导入模板，列名勿改动")
    ]
    assert count(db_session) == before


def test_a_sheet_whose_first_row_is_no_header_is_refused_in_one_line(
    db_session: Session, host: CampaignHost
) -> None:
    rows = [good_row(), good_row()]
    result = import_ledger(
        db_session, host, user(db_session, "ldxz_ban"), workbook(rows[1:], rows[0])
    )
    assert len(result.errors) == 1 and result.errors[0].row == 1
    assert result.errors[0].reason.startswith("第 1 行不是导入模板的表头")
