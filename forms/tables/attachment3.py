"""附件3 问题情况汇总表: one row per county-level unit (or per township), 18 figures under two
header rows with merged group headers, laid out as printed in 临空财发〔2022〕4号."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from forms.tables.style import (
    BODY_FONT,
    BOLD_FONT,
    BOX,
    CENTER,
    COUNT_FORMAT,
    LEFT,
    WAN_FORMAT,
    Signature,
    fen_to_wan,
    header_cell,
    print_setup,
    put,
    put_text,
    set_widths,
    write_filing_line,
    write_signature_line,
    write_title,
)

TITLE = "湖北省惠民惠农财政补贴资金“一卡通”突出问题专项治理“回头看”问题情况汇总表"
SHEET_TITLE = "问题情况汇总表"
UNIT_LINE = "金额单位：万元"
TOTAL = "合计"
HEADER_ROWS = (3, 4)
FIRST_DATA_ROW = 5


@dataclass(frozen=True)
class Column:
    key: str
    name: str
    measure: str = "count"  # "count" or "money" (分, shown in 万元)


# (group header, or "" for a column whose header spans both header rows; its columns).
GROUPS: tuple[tuple[str, tuple[Column, ...]], ...] = (
    ("", (Column("population", "县总人口数"),)),
    ("", (Column("townships", "治理的乡镇数量"),)),
    ("", (Column("villages", "治理的村集体数量"),)),
    ("到村到户调查情况", (Column("visited_persons", "人数"), Column("visited_households", "户数"))),
    (
        "“一卡通”摸排情况",
        (
            Column("cards_found", "摸排出“一卡通”的总量"),
            Column("banks_involved", "涉及到的银行家数"),
            Column("cards_illegal", "违规代管“一卡通”数量"),
        ),
    ),
    (
        "主动说清情况事项",
        (
            Column("voluntary_persons", "向纪检监察部门主动说明情况的人数"),
            Column("voluntary_fen", "主动上缴资金金额", "money"),
        ),
    ),
    (
        "整改问责情况",
        (
            Column("clues", "移交给纪检监察部门的问题线索"),
            Column("party_sanctioned", "党纪处分人数"),
            Column("government_sanctioned", "政务处理人数"),
            Column("exposure_cases", "通报曝光案件数量"),
            Column("exposure_persons", "通报曝光人数"),
            Column("recovered_fen", "追缴收回资金金额", "money"),
            Column("returned_fen", "返还发放资金金额", "money"),
        ),
    ),
    ("", (Column("other", "其他"),)),
)
COLUMNS: tuple[Column, ...] = tuple(c for _, columns in GROUPS for c in columns)
TOWNSHIP_POPULATION_HEADER = "总人口数"


@dataclass(frozen=True)
class Row:
    number: int | None
    name: str
    key: str  # the unit code of the row; "" for the total
    # Exact figures by column key: 分 for money, counts otherwise; None leaves the cell blank.
    values: Mapping[str, int | None] = field(default_factory=dict)
    kind: str = "unit"  # "unit" or "total"


@dataclass(frozen=True)
class Attachment3Table:
    filing_unit: str
    period: str
    rows: tuple[Row, ...]
    by_township: bool = False

    @staticmethod
    def display(row: Row, column: Column) -> object:
        value = row.values.get(column.key)
        if value is None:
            return None
        return fen_to_wan(value) if column.measure == "money" else value


def write_attachment3(
    table: Attachment3Table, target: str | Path | BinaryIO, signature: Signature | None = None
) -> None:
    """The table as printed; with a signature (a filed copy), 填表人, 审核人 and 填报日期 on a
    line under the total."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = SHEET_TITLE
    width = 2 + len(COLUMNS)
    write_title(ws, TITLE, width)
    write_filing_line(ws, 2, width, table.filing_unit, table.period, UNIT_LINE)
    _write_headers(ws, table.by_township)
    row_no = FIRST_DATA_ROW
    for row in table.rows:
        _write_row(ws, row_no, row)
        row_no += 1
    last_row = row_no - 1
    if signature is not None:
        last_row += 1
        write_signature_line(ws, last_row, width, signature)
    set_widths(ws, [5.0, 16.0] + [8.5] * len(COLUMNS))
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=3)
    top, below = HEADER_ROWS
    print_setup(ws, header_rows=f"{top}:{below}", width=width, last_row=last_row)
    workbook.save(target)


def _write_headers(ws: Worksheet, by_township: bool) -> None:
    top, below = HEADER_ROWS
    header_cell(ws, top, 1, "序号", rows=2)
    header_cell(ws, top, 2, "名称", rows=2)
    column_no = 3
    for group, columns in GROUPS:
        if not group:
            name = columns[0].name
            if columns[0].key == "population" and by_township:
                name = TOWNSHIP_POPULATION_HEADER
            header_cell(ws, top, column_no, name, rows=2)
        else:
            header_cell(ws, top, column_no, group, columns=len(columns))
            for offset, column in enumerate(columns):
                header_cell(ws, below, column_no + offset, column.name)
        column_no += len(columns)
    ws.row_dimensions[top].height = 30
    ws.row_dimensions[below].height = 66


def _write_row(ws: Worksheet, row_no: int, row: Row) -> None:
    font = BOLD_FONT if row.kind == "total" else BODY_FONT
    number = ws.cell(row=row_no, column=1)
    put(number, row.number)
    name = ws.cell(row=row_no, column=2)
    put_text(name, row.name)
    number.alignment = CENTER
    name.alignment = CENTER if row.kind == "total" else LEFT
    for cell in (number, name):
        cell.font = font
        cell.border = BOX
    for index, column in enumerate(COLUMNS):
        cell = ws.cell(row=row_no, column=3 + index)
        cell.border = BOX
        cell.font = font
        put(
            cell,
            Attachment3Table.display(row, column),
            WAN_FORMAT if column.measure == "money" else COUNT_FORMAT,
        )
