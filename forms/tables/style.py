"""What the statutory tables and the ledger workbooks share: money in 万元, text that can never
become a formula, fonts, borders and the printed page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FONT_NAME = "宋体"  # present on every Chinese Windows and WPS installation
TITLE_FONT = Font(name=FONT_NAME, size=16, bold=True)
HEADER_FONT = Font(name=FONT_NAME, size=10, bold=True)
BODY_FONT = Font(name=FONT_NAME, size=10)
BOLD_FONT = Font(name=FONT_NAME, size=10, bold=True)
NOTE_FONT = Font(name=FONT_NAME, size=9)

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")

WAN_FORMAT = "0.0000"  # 万元, four decimals: 1 元 = 0.0001 万元
COUNT_FORMAT = "0"
YUAN_FORMAT = "0.00"
DATE_FORMAT = "yyyy-mm-dd"

_WAN = Decimal("0.0001")
# Text beginning with one of these is a formula to Excel, WPS or a CSV reader.
FORMULA_STARTS = ("=", "+", "-", "@")
# Control characters an .xlsx cannot hold (openpyxl refuses them); pasted text carries some.
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


def fen_to_wan(fen: int) -> Decimal:
    """Exact 分 to 万元, rounded once, half up, to four decimals (1 万元 = 1,000,000 分)."""
    return Decimal(fen).scaleb(-6).quantize(_WAN, rounding=ROUND_HALF_UP)


def fen_to_yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def clean_text(text: str) -> str:
    return _ILLEGAL.sub("", text)


def needs_protection(text: str) -> bool:
    """Whether text would not survive as a plain string value (see put_text)."""
    return text.startswith((*FORMULA_STARTS, "#")) or _ILLEGAL.search(text) is not None


def put_text(cell: Cell, text: str) -> None:
    """Store text as text, whatever it begins with: openpyxl would otherwise turn "=..." into
    a formula and "#N/A" into an error value. The quote prefix also keeps Excel from
    re-reading it as a formula when someone edits the cell."""
    text = clean_text(text)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True


def put(cell: Cell, value: Any, number_format: str = "") -> None:
    """Any value of a table: text through put_text, numbers and dates with their format."""
    if isinstance(value, str):
        put_text(cell, value)
        return
    cell.value = value
    if number_format:
        cell.number_format = number_format
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT


def write_title(ws: Worksheet, title: str, width: int) -> None:
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    cell = ws.cell(row=1, column=1)
    put_text(cell, title)
    cell.font = TITLE_FONT
    cell.alignment = CENTER
    ws.row_dimensions[1].height = 36


def write_filing_line(
    ws: Worksheet, row: int, width: int, filing_unit: str, middle: str, right: str
) -> None:
    """填表单位 on the left, the period in the middle, the unit of measure on the right."""
    _three_spans(ws, row, width, (f"填表单位：{filing_unit}", middle, right))
    ws.row_dimensions[row].height = 20


def _three_spans(ws: Worksheet, row: int, width: int, texts: tuple[str, str, str]) -> None:
    """A line of three texts across the table: left, centred and right."""
    third = max(1, width // 3)
    spans = [
        (1, third, LEFT),
        (third + 1, width - third, CENTER),
        (width - third + 1, width, RIGHT),
    ]
    for (first, last, alignment), text in zip(spans, texts, strict=True):
        if last > first:
            ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
        cell = ws.cell(row=row, column=first)
        put_text(cell, text)
        cell.font = BODY_FONT
        cell.alignment = alignment


@dataclass(frozen=True)
class Signature:
    """Who filed a table and when, printed below it on the filed copy (报送留档)."""

    filer: str  # 填表人
    reviewer: str  # 审核人
    filed_on: date  # 填报日期


def write_signature_line(ws: Worksheet, row: int, width: int, signature: Signature) -> None:
    """填表人, 审核人 and 填报日期 under the table, as a filed form is signed; the 填表单位
    stays on the line above the headers."""
    day = signature.filed_on
    _three_spans(
        ws,
        row,
        width,
        (
            f"填表人：{signature.filer}",
            f"审核人：{signature.reviewer}",
            f"填报日期：{day.year}年{day.month}月{day.day}日",
        ),
    )
    ws.row_dimensions[row].height = 24


def header_cell(
    ws: Worksheet, row: int, column: int, text: str, *, rows: int = 1, columns: int = 1
) -> None:
    """A header, merged over the given rows and columns, with every covered cell boxed (a
    merged range is drawn from the borders of all its cells)."""
    if rows > 1 or columns > 1:
        ws.merge_cells(
            start_row=row,
            start_column=column,
            end_row=row + rows - 1,
            end_column=column + columns - 1,
        )
    for r in range(row, row + rows):
        for c in range(column, column + columns):
            ws.cell(row=r, column=c).border = BOX
    cell = ws.cell(row=row, column=column)
    put_text(cell, text)
    cell.font = HEADER_FONT
    cell.alignment = CENTER


def write_notes(ws: Worksheet, first_row: int, width: int, notes: tuple[str, ...]) -> None:
    for offset, note in enumerate(notes):
        row = first_row + offset
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        cell = ws.cell(row=row, column=1)
        put_text(cell, note)
        cell.font = NOTE_FONT
        cell.alignment = LEFT
        # Long notes wrap; give them the height of two lines.
        ws.row_dimensions[row].height = 26 if len(note) > 90 else 16


def set_widths(ws: Worksheet, widths: list[float]) -> None:
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width


def print_setup(ws: Worksheet, *, header_rows: str, width: int, last_row: int) -> None:
    """A4 landscape, one page wide, header rows repeated on every page, page numbers."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = header_rows
    ws.print_area = f"A1:{get_column_letter(width)}{last_row}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.font = FONT_NAME
