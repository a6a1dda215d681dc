"""附件2 问题统计表: the layout of the notice, read back with openpyxl, and every figure
against a computation of its own from the ledger rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import reports
from campaign.models import Problem
from campaign.reference_data import PROGRAMMES, STAT_CATEGORIES
from campaign.reports.scope import ReportScope
from forms.tables import attachment2 as layout
from forms.tables import write_attachment2
from tests.reports.conftest import as_decimal, wan, xlsx_bytes

FIRST_ROW = 5
CATEGORY_CODES = [code for code, _, _ in STAT_CATEGORIES]


def sheet(session: Session, scope: ReportScope) -> Worksheet:
    table = reports.attachment2(session, scope)
    book = openpyxl.load_workbook(xlsx_bytes(lambda out: write_attachment2(table, out)))
    return book.active


def expected(session: Session, keep: object = None) -> dict[tuple[str, str], int]:
    """Exact figures by (programme code, category code), from the ORM rows one by one."""
    found: dict[tuple[str, str], int] = defaultdict(int)
    for problem in session.scalars(select(Problem)):
        if callable(keep) and not keep(problem):
            continue
        cards = problem.stat_category.measure == "cards"
        key = (problem.programme.code, problem.stat_category.code)
        found[key] += problem.cards if cards else problem.amount_fen
    return found


def row_of(ws: Worksheet, name: str) -> int:
    for row in range(FIRST_ROW, ws.max_row + 1):
        if ws.cell(row=row, column=2).value == name:
            return row
    raise AssertionError(f"no row {name}")


def test_the_layout_is_the_notices(db_session: Session) -> None:
    ws = sheet(db_session, reports.report_scope(db_session))
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:P1", "A3:A4", "B3:B4", "C3:P3"} <= merged
    assert ws["A1"].value == layout.TITLE
    assert ws["A2"].value == "填表单位：鄂州市临空经济区"
    assert [c.value for c in ws[2] if c.value][-1] == "单位：万元"
    assert (ws["A3"].value, ws["B3"].value, ws["C3"].value) == (
        "序号",
        "项目资金名称",
        "检查发现存在问题",
    )
    assert [ws.cell(row=4, column=3 + i).value for i in range(14)] == [
        name for _, name, _ in STAT_CATEGORIES
    ]
    names = [ws.cell(row=FIRST_ROW + i, column=2).value for i in range(20)]
    numbers = [ws.cell(row=FIRST_ROW + i, column=1).value for i in range(20)]
    assert names == PROGRAMMES and numbers == list(range(1, 21))
    city = row_of(ws, layout.SECTION_CITY)
    county = row_of(ws, layout.SECTION_COUNTY)
    total = row_of(ws, "合计")
    assert city == FIRST_ROW + 20 and city < county < total
    assert ws.cell(row=city + 1, column=2).value.startswith("市级")
    assert ws.cell(row=county + 1, column=2).value.startswith("区级")
    notes = [ws.cell(row=total + i, column=1).value for i in (1, 2, 3)]
    assert [n[:5] for n in notes] == ["备注：1.", "2.惠民惠", "3.未按规"]
    assert f"A{total + 1}:P{total + 1}" in merged


def test_print_ready_a4_landscape_with_repeated_headers(db_session: Session) -> None:
    ws = sheet(db_session, reports.report_scope(db_session))
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$4"
    assert ws["A1"].font.name == "宋体" and ws["C5"].font.name == "宋体"
    assert ws["C5"].border.left.style == "thin" and ws["P3"].border.top.style == "thin"


def test_every_cell_and_total_against_an_independent_computation(
    db_session: Session, ledger: list[Problem]
) -> None:
    ws = sheet(db_session, reports.report_scope(db_session))
    exact = expected(db_session)
    codes = {p: r for r in range(FIRST_ROW, FIRST_ROW + 20) for p in [f"P{r - FIRST_ROW + 1:02d}"]}
    codes |= {"C01": row_of(ws, "市级困难群众临时救助补助资金（示例）")}
    codes |= {"X02": row_of(ws, "区级农村环境整治奖补资金（示例）")}
    total_row = row_of(ws, "合计")
    for index, (category, _, measure) in enumerate(STAT_CATEGORIES):
        column = 3 + index
        assert ws.cell(row=FIRST_ROW, column=column).number_format == (
            "0" if measure == "cards" else "0.0000"
        )
        for programme, row in codes.items():
            value = ws.cell(row=row, column=column).value
            want = exact.get((programme, category), 0)
            if measure == "cards":
                assert value == want and isinstance(value, int)
            else:
                assert as_decimal(value) == wan(want), (programme, category)
        column_total = sum(v for (_, c), v in exact.items() if c == category)
        total = ws.cell(row=total_row, column=column).value
        assert (total if measure == "cards" else as_decimal(total)) == (
            column_total if measure == "cards" else wan(column_total)
        )
    # Rounded once: two cells of 0.50 元 each show 0.0001, their total 1.00 元 shows 0.0001.
    s03 = 3 + CATEGORY_CODES.index("S03")
    cells = [ws.cell(row=codes[p], column=s03).value for p in ("P02", "P03")]
    assert [as_decimal(v) for v in cells] == [Decimal("0.0001")] * 2
    assert as_decimal(ws.cell(row=total_row, column=s03).value) == Decimal("0.0001")
    # 3600 + 1234.56 + 0.49 + 0.50 元 in one cell: 0.48355500 万元 rounds to 0.4836.
    s02 = 3 + CATEGORY_CODES.index("S02")
    assert as_decimal(ws.cell(row=codes["P11"], column=s02).value) == Decimal("0.4836")


def test_scope_one_township_and_a_date_range(db_session: Session, ledger: list[Problem]) -> None:
    scope = reports.report_scope(
        db_session, unit_code="QSZ", date_from=date(2022, 6, 1), date_to=date(2022, 6, 30)
    )
    table = reports.attachment2(db_session, scope)
    assert table.filing_unit == "青山镇" and "2022-06-01 至 2022-06-30" in table.period
    exact = expected(
        db_session,
        lambda p: p.unit.code == "QSZ" and date(2022, 6, 1) <= p.discovered_on <= date(2022, 6, 30),
    )
    total = table.rows[-1]
    for index, code in enumerate(CATEGORY_CODES):
        assert total.values[index] == sum(v for (_, c), v in exact.items() if c == code)
    p11 = next(r for r in table.rows if r.key == "P11")
    assert p11.values[CATEGORY_CODES.index("S02")] == 360000 + 123456 + 49  # not the May one


def test_a_cell_drills_down_to_the_entries_behind_it(
    db_session: Session, ledger: list[Problem]
) -> None:
    scope = reports.report_scope(db_session)
    cell = reports.attachment2_cell(db_session, scope, programme="P11", category="S02")
    numbers = sorted(p.number for p in ledger if p.programme.code == "P11")
    assert cell.record_type == "problem" and cell.measure == "money"
    assert [i.reference for i in cell.items] == numbers
    assert cell.total == 360000 + 123456 + 49 + 50 and cell.count == 4
    page = reports.attachment2_cell(
        db_session, scope, programme="P11", category="S02", limit=2, offset=2
    )
    assert [i.reference for i in page.items] == numbers[2:] and page.total == cell.total
    cards = reports.attachment2_cell(db_session, scope, category="S12")  # the 合计 row
    assert (cards.measure, cards.total, cards.count) == ("count", 5, 2)
    assert all(i.label.startswith("白沙镇｜") for i in cards.items)
