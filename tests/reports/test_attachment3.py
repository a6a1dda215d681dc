"""附件3 问题情况汇总表: the two header rows with merged groups, figures from the reports,
clues and ledger on record, per county-level unit or per township, and the drill-down."""

from __future__ import annotations

from datetime import date

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from campaign import reports
from campaign.models import Problem
from campaign.org import unit_by_code
from forms.tables import attachment3 as layout
from forms.tables import write_attachment3
from forms.tables.attachment3 import Attachment3Table
from tests.reports.conftest import as_decimal, wan, xlsx_bytes

KEYS = [c.key for c in layout.COLUMNS]
DISTRICT = {
    "population": 186000,
    "townships": 4,  # QSZ, BSZ, LHX, SQZ have ledger entries; the department is no township
    "villages": 9,  # eight with entries, BSZ04 sampled in a submitted spot check
    "visited_persons": 250,  # LHX's report is not approved yet: it does not count
    "visited_households": 90,
    "cards_found": 590,
    "banks_involved": 5,  # the largest number one report gave
    "cards_illegal": 5,  # the ledger's 违规代管 entries (BSZ: 3 + 2), as 附件2's column
    "voluntary_persons": 3,
    "voluntary_fen": 50051,
    "clues": 2,
    "party_sanctioned": 1,
    "government_sanctioned": 3,
    "exposure_cases": 1,
    "exposure_persons": 2,
    "recovered_fen": 360005,
    "returned_fen": 120000,
    "other": None,
}


def written(table: Attachment3Table) -> Worksheet:
    book = openpyxl.load_workbook(xlsx_bytes(lambda out: write_attachment3(table, out)))
    return book.active


def row_values(ws: Worksheet, row: int) -> dict[str, object]:
    return {key: ws.cell(row=row, column=3 + i).value for i, key in enumerate(KEYS)}


def test_headers_merged_as_in_the_notice(db_session: Session) -> None:
    ws = written(reports.attachment3(db_session, reports.report_scope(db_session)))
    merged = {str(r) for r in ws.merged_cells.ranges}
    spans = {"A1:T1", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "F3:G3", "H3:J3", "K3:L3"}
    assert spans | {"M3:S3", "T3:T4"} <= merged
    assert ws["A1"].value == layout.TITLE
    tops = [ws.cell(row=3, column=c).value for c in (1, 2, 3, 4, 5, 6, 8, 11, 13, 20)]
    assert tops == [
        "序号",
        "名称",
        "县总人口数",
        "治理的乡镇数量",
        "治理的村集体数量",
        "到村到户调查情况",
        "“一卡通”摸排情况",
        "主动说清情况事项",
        "整改问责情况",
        "其他",
    ]
    assert [ws.cell(row=4, column=c).value for c in (6, 7, 12, 13, 19)] == [
        "人数",
        "户数",
        "主动上缴资金金额",
        "移交给纪检监察部门的问题线索",
        "返还发放资金金额",
    ]
    assert ws.print_title_rows == "$3:$4" and ws.page_setup.orientation == "landscape"
    assert [ws.cell(row=5, column=c).number_format for c in (3, 12, 18, 19)] == [
        "0",
        "0.0000",
        "0.0000",
        "0.0000",
    ]


def test_one_row_per_county_level_unit(
    db_session: Session, ledger: list[Problem], on_record: None
) -> None:
    unit_by_code(db_session, "LKQ").population = 186000
    db_session.flush()
    ws = written(reports.attachment3(db_session, reports.report_scope(db_session)))
    assert (ws["A5"].value, ws["B5"].value, ws["B6"].value) == (1, "鄂州市临空经济区", "合计")
    for row in (5, 6):
        values = row_values(ws, row)
        for key, want in DISTRICT.items():
            got = values[key]
            if key.endswith("_fen"):
                assert as_decimal(got) == wan(int(want or 0)), key
            else:
                assert got == want, key


def test_broken_down_by_township(
    db_session: Session, ledger: list[Problem], on_record: None
) -> None:
    table = reports.attachment3(db_session, reports.report_scope(db_session), by_township=True)
    rows = {row.key: row.values for row in table.rows}
    assert [row.name for row in table.rows] == [
        "青山镇",
        "白沙镇",
        "柳河乡",
        "石桥镇",
        "东湖乡",
        "红旗镇",
        "合计",
    ]
    assert (rows["QSZ"]["townships"], rows["QSZ"]["villages"]) == (1, 3)
    assert (rows["QSZ"]["visited_persons"], rows["QSZ"]["banks_involved"]) == (200, 5)
    assert (rows["QSZ"]["clues"], rows["QSZ"]["recovered_fen"]) == (1, 360000)
    assert (rows["BSZ"]["villages"], rows["BSZ"]["banks_involved"], rows["BSZ"]["clues"]) == (
        4,
        2,
        1,
    )
    assert rows["LHX"]["visited_persons"] == 0 and rows["LHX"]["townships"] == 1
    assert rows["DHX"]["townships"] == 0
    total = rows[""]
    for key, want in DISTRICT.items():
        if key != "population":
            assert total[key] == want, key
    summed = ("visited_persons", "clues", "voluntary_fen", "recovered_fen", "villages")
    for key in summed:
        assert total[key] == sum(int(v[key] or 0) for k, v in rows.items() if k), key


def test_dates_scope_reports_by_month_and_clues_by_local_day(
    db_session: Session, ledger: list[Problem], on_record: None
) -> None:
    june = reports.report_scope(db_session, date_from=date(2022, 6, 1), date_to=date(2022, 6, 30))
    total = reports.attachment3(db_session, june).rows[-1].values
    assert (total["visited_persons"], total["clues"], total["villages"]) == (130, 2, 8)
    may = reports.report_scope(db_session, date_from=date(2022, 5, 1), date_to=date(2022, 5, 31))
    total = reports.attachment3(db_session, may).rows[-1].values
    assert (total["visited_persons"], total["clues"], total["townships"]) == (120, 0, 2)


def test_a_cell_drills_down_to_the_records_behind_it(
    db_session: Session, ledger: list[Problem], on_record: None
) -> None:
    scope = reports.report_scope(db_session)

    def cell(column: str, row: str = "") -> reports.Evidence:
        return reports.attachment3_cell(db_session, scope, column=column, row=row, by_township=True)

    visited = cell("visited_persons", "QSZ")
    assert visited.record_type == "obligation" and visited.total == 200
    assert [i.reference for i in visited.items] == ["QSZ 2022-05", "QSZ 2022-06"]
    banks = cell("banks_involved")
    assert (banks.aggregate, banks.total, banks.count) == ("max", 5, 3)
    clues = cell("clues")
    assert (clues.record_type, clues.total) == ("clue", 2)
    assert [i.reference for i in clues.items] == ["XS-T-0001", "XS-T-0002"]
    recovered = cell("recovered_fen")
    assert (recovered.measure, recovered.total) == ("money", 360005)
    villages = cell("villages", "BSZ")
    assert [i.reference for i in villages.items] == ["BSZ01", "BSZ02", "BSZ03", "BSZ04"]
    assert cell("other").count == 0
