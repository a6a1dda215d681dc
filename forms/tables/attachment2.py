"""附件2 问题统计表: one row per subsidy programme, one column per problem category, in 万元
(the “一卡通” column counts cards), laid out as printed in 临空财发〔2022〕4号."""

from __future__ import annotations

from dataclasses import dataclass
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
    write_notes,
    write_signature_line,
    write_title,
)

TITLE = "湖北省惠民惠农财政补贴资金“一卡通”突出问题专项治理“回头看”问题统计表"
SHEET_TITLE = "问题统计表"
GROUP_HEADER = "检查发现存在问题"
UNIT_LINE = "单位：万元"
# The notice's three notes; note 3 names the column 未按规定形式发放 (printed “未按规形式”).
NOTES = (
    "备注：1.中央及省级未要求、但各市、县级层面明确通过“一卡通”发放的各级财政补助资金也纳入"
    "治理范围，填写相应内容。",
    "2.惠民惠农财政补贴资金一般按一行填列。对于执行中又细分为不同补贴项目或补贴方向的，"
    "如困难群众救助补助资金，应参照上述举例的原则分别填列。",
    "3.未按规定形式发放：包括该通过“一卡通”发放的发现金、该直发的又进行“二次分配”等。",
)
SECTION_CITY = "(市级财政安排的惠农补贴项目)"
SECTION_COUNTY = "(县级财政安排的惠农补贴项目)"
TOTAL = "合计"
HEADER_ROWS = (3, 4)
FIRST_DATA_ROW = 5


@dataclass(frozen=True)
class Column:
    key: str  # the category code, e.g. "S02"
    name: str
    measure: str  # "money" (分, shown in 万元) or "cards" (a count)


@dataclass(frozen=True)
class Row:
    kind: str  # "programme", "section" (a heading without figures) or "total"
    number: int | None
    name: str
    key: str = ""  # the programme code of a programme row
    # Exact figures, one per column: 分 for money columns, cards for the count column.
    values: tuple[int, ...] = ()


@dataclass(frozen=True)
class Attachment2Table:
    filing_unit: str
    period: str  # "" or e.g. "统计时段：2022-06-01 至 2022-06-30"
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    def display(self, row: Row, index: int) -> object:
        """What the printed cell shows: 万元 rounded once from exact 分, or the count."""
        value = row.values[index]
        return fen_to_wan(value) if self.columns[index].measure == "money" else value


def write_attachment2(
    table: Attachment2Table, target: str | Path | BinaryIO, signature: Signature | None = None
) -> None:
    """The table as printed; with a signature (a filed copy), 填表人, 审核人 and 填报日期 on a
    line under the notes."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = SHEET_TITLE
    width = 2 + len(table.columns)
    write_title(ws, TITLE, width)
    write_filing_line(ws, 2, width, table.filing_unit, table.period, UNIT_LINE)
    top, below = HEADER_ROWS
    header_cell(ws, top, 1, "序号", rows=2)
    header_cell(ws, top, 2, "项目资金名称", rows=2)
    header_cell(ws, top, 3, GROUP_HEADER, columns=len(table.columns))
    for offset, column in enumerate(table.columns):
        header_cell(ws, below, 3 + offset, column.name)
    ws.row_dimensions[top].height = 22
    ws.row_dimensions[below].height = 44

    row_no = FIRST_DATA_ROW
    for row in table.rows:
        _write_row(ws, row_no, table, row)
        row_no += 1
    write_notes(ws, row_no, width, NOTES)
    last_row = row_no + len(NOTES) - 1
    if signature is not None:
        last_row += 1
        write_signature_line(ws, last_row, width, signature)
    set_widths(ws, [5.0, 30.0] + [9.5] * len(table.columns))
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=3)
    print_setup(ws, header_rows=f"{top}:{below}", width=width, last_row=last_row)
    workbook.save(target)


def _write_row(ws: Worksheet, row_no: int, table: Attachment2Table, row: Row) -> None:
    strong = row.kind != "programme"
    number = ws.cell(row=row_no, column=1)
    put(number, row.number)
    name = ws.cell(row=row_no, column=2)
    put_text(name, row.name)
    name.alignment = CENTER if row.kind == "total" else LEFT
    number.alignment = CENTER
    for cell in (number, name):
        cell.font = BOLD_FONT if strong else BODY_FONT
        cell.border = BOX
    for index, column in enumerate(table.columns):
        cell = ws.cell(row=row_no, column=3 + index)
        cell.border = BOX
        cell.font = BOLD_FONT if row.kind == "total" else BODY_FONT
        if row.kind == "section":
            continue
        number_format = WAN_FORMAT if column.measure == "money" else COUNT_FORMAT
        put(cell, table.display(row, index), number_format)
