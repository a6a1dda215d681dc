"""Writing the ledger workbook: the import template (the columns an import takes, no rows)
and the ledger download (the 整改台账: those columns and the lifecycle's), which imports again
because the reader maps columns by their header. openpyxl lays out the workbook; the
download's rows are written by forms.ledger_excel.sheet_rows, streamed: a download of a
hundred thousand entries never holds them all."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from forms.ledger_excel.columns import (
    AMOUNT,
    CARDS,
    CATEGORY,
    CLOSED,
    CLUES,
    COLUMNS,
    DEADLINE,
    DESCRIPTION,
    DISCOVERED,
    FOCUS,
    HELP,
    HELP_SHEET,
    HOUSEHOLDS,
    LEDGER_COLUMNS,
    LEDGER_HELP,
    LIST_SHEET,
    MEASURES,
    MEASURES_TAKEN,
    NOT_IMPORTED_NOTE,
    NUMBER,
    PERSONS,
    PROGRAMME,
    RECOVERED,
    RECTIFIED,
    RECTIFY_TYPE,
    REQUIRED,
    RESPONSIBLE_PERSON,
    RESPONSIBLE_UNIT,
    RETURNED,
    SHEET,
    SOURCE,
    STATUS,
    UNIT,
    VILLAGE,
    LedgerChoices,
    LedgerRow,
    focus_label,
)
from forms.ledger_excel.sheet_rows import Kind, Styles, write_rows
from forms.tables.style import (
    BODY_FONT,
    BOX,
    CENTER,
    COUNT_FORMAT,
    DATE_FORMAT,
    FONT_NAME,
    HEADER_FONT,
    LEFT,
    YUAN_FORMAT,
    needs_protection,
    put_text,
)

WIDTHS = {DESCRIPTION: 48.0, PROGRAMME: 30.0, FOCUS: 30.0, CATEGORY: 18.0, CARDS: 14.0}
# The download has 25 columns on an A4 page: narrower, the long texts wrap.
LEDGER_WIDTHS = {
    NUMBER: 14.0, SOURCE: 9.0, UNIT: 11.0, VILLAGE: 9.0, PROGRAMME: 16.0, CATEGORY: 11.0,
    FOCUS: 18.0, DESCRIPTION: 32.0, AMOUNT: 12.0, CARDS: 9.0, HOUSEHOLDS: 6.0, PERSONS: 6.0,
    RESPONSIBLE_UNIT: 13.0, RESPONSIBLE_PERSON: 8.0, RECTIFY_TYPE: 8.0, MEASURES: 24.0,
    STATUS: 12.0, MEASURES_TAKEN: 24.0, RECOVERED: 12.0, RETURNED: 12.0, CLUES: 12.0,
}  # fmt: skip
DATE_WIDTH = 11.0  # yyyy-mm-dd in 宋体 10
KINDS = {
    AMOUNT: Kind.MONEY, RECOVERED: Kind.MONEY, RETURNED: Kind.MONEY,
    CARDS: Kind.COUNT, HOUSEHOLDS: Kind.COUNT, PERSONS: Kind.COUNT,
    DISCOVERED: Kind.DATE, DEADLINE: Kind.DATE, RECTIFIED: Kind.DATE, CLOSED: Kind.DATE,
}  # fmt: skip
REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
NOT_IMPORTED_FILL = PatternFill("solid", fgColor="E7E6E6")
NUMBER_ALIGNMENT = Alignment(horizontal="right", vertical="center")
LAST_ROW = 1_048_576  # drop-downs and checks cover the whole column


def write_template(choices: LedgerChoices, target: str | Path | BinaryIO) -> None:
    """The empty sheet with drop-down lists, the rules per column and the hidden lists."""
    workbook, _sheet = _workbook(COLUMNS, choices, ledger=False)
    workbook.save(target)


def write_ledger(
    rows: Iterable[LedgerRow], choices: LedgerChoices, target: str | Path | BinaryIO
) -> int:
    """The 整改台账, one row per entry; returns how many rows were written."""
    workbook, sheet = _workbook(LEDGER_COLUMNS, choices, ledger=True)
    styles = _body_styles(sheet)
    saved = io.BytesIO()
    workbook.save(saved)
    kinds = [KINDS.get(column, Kind.TEXT) for column in LEDGER_COLUMNS]
    return write_rows(saved, target, SHEET, kinds, (ledger_values(row) for row in rows), styles)


def ledger_values(row: LedgerRow) -> tuple[Any, ...]:
    """The row's values in the order of LEDGER_COLUMNS (money in 分)."""
    return (
        row.number, row.source, row.unit, row.village, row.programme, row.category,
        row.focus_item, row.description, row.amount_fen, row.cards, row.households,
        row.persons, row.discovered_on, row.responsible_unit, row.responsible_person,
        row.rectify_type, row.measures, row.deadline, row.status, row.measures_taken,
        row.recovered_fen, row.returned_fen, row.rectified_on, row.closed_on, row.clues,
    )  # fmt: skip


def _workbook(
    columns: Sequence[str], choices: LedgerChoices, *, ledger: bool
) -> tuple[Workbook, WriteOnlyWorksheet]:
    """The workbook with the sheet's header, widths, drop-downs and checks, its 填写说明 and
    the hidden lists; the rows are the caller's. The ledger (the download) prints."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    help_sheet = workbook.create_sheet(HELP_SHEET)
    lists = workbook.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    ranges = _write_lists(lists, choices)
    _add_validations(sheet, columns, ranges)
    for index, column in enumerate(columns, start=1):
        width = (LEDGER_WIDTHS if ledger else WIDTHS).get(column, 13.0)
        if KINDS.get(column) is Kind.DATE:
            width = max(width, DATE_WIDTH)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    if ledger:
        _print_setup(sheet)  # before the first row: openpyxl writes the sheet's top with it
    sheet.append([_header(sheet, column) for column in columns])
    _write_help(help_sheet, columns, ledger=ledger)
    return workbook, sheet


def _header(sheet: WriteOnlyWorksheet, column: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet)
    put_text(cell, column)
    cell.font = HEADER_FONT
    cell.alignment = CENTER
    cell.border = BOX
    if column in REQUIRED:
        cell.fill = REQUIRED_FILL
    elif column not in COLUMNS:
        cell.fill = NOT_IMPORTED_FILL
    return cell


def _body_styles(sheet: WriteOnlyWorksheet) -> Styles:
    """Register the body cells' styles in the workbook; their ids go into the rows' XML."""

    def style(alignment: Alignment, number_format: str = "", quoted: bool = False) -> int:
        cell = WriteOnlyCell(sheet)
        cell.font = BODY_FONT
        cell.border = BOX
        cell.alignment = alignment
        if number_format:
            cell.number_format = number_format
        if quoted:
            cell.quotePrefix = True
        return int(cell.style_id)

    return Styles(
        text=style(LEFT),
        quoted=style(LEFT, quoted=True),
        money=style(NUMBER_ALIGNMENT, YUAN_FORMAT),
        count=style(NUMBER_ALIGNMENT, COUNT_FORMAT),
        date=style(CENTER, DATE_FORMAT),
    )


def _print_setup(sheet: WriteOnlyWorksheet) -> None:
    """A4 landscape, one page wide, the header on every page, page numbers (as the statutory
    tables print; the print area is the used range)."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as needed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.HeaderFooter.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.HeaderFooter.oddFooter.center.font = FONT_NAME


def _text(sheet: WriteOnlyWorksheet, value: str) -> WriteOnlyCell | str | None:
    """Plain text goes in as it is; text that could turn into a formula or an error value,
    or that holds control characters, goes through put_text."""
    if not value:
        return None
    if not needs_protection(value):
        return value
    cell = WriteOnlyCell(sheet)
    put_text(cell, value)
    return cell


def _write_lists(lists: WriteOnlyWorksheet, choices: LedgerChoices) -> dict[str, str]:
    """One column per list on the hidden sheet; returns the range each drop-down refers to.
    Long lists live there because a list typed into the validation itself is limited to
    255 characters."""
    villages: list[str] = []
    for unit_code, _ in choices.units:
        for _, name in choices.villages.get(unit_code, ()):
            if name not in villages:
                villages.append(name)
    columns: list[tuple[str, Sequence[str]]] = [
        (SOURCE, [label for _, label in choices.sources]),
        (UNIT, [name for _, name in choices.units]),
        (VILLAGE, villages),
        (PROGRAMME, [name for _, name in choices.programmes]),
        (CATEGORY, [name for _, name in choices.categories]),
        (FOCUS, [focus_label(code, name) for code, name in choices.focus_items]),
        (RESPONSIBLE_UNIT, [name for _, name in choices.responsible_units]),
    ]
    height = max(len(values) for _, values in columns)
    lists.append([_text(lists, title) for title, _ in columns])
    for index in range(height):
        lists.append(
            [_text(lists, values[index]) if index < len(values) else None for _, values in columns]
        )
    ranges = {}
    for number, (title, values) in enumerate(columns, start=1):
        if values:
            letter = get_column_letter(number)
            ranges[title] = f"'{LIST_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _add_validations(
    sheet: WriteOnlyWorksheet, columns: Sequence[str], ranges: dict[str, str]
) -> None:
    def column_range(column: str) -> str:
        letter = get_column_letter(columns.index(column) + 1)
        return f"{letter}2:{letter}{LAST_ROW}"

    for column, source in ranges.items():
        check = DataValidation(
            type="list",
            formula1=source,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=column,
            error=f"请从下拉列表中选择{column}",
        )
        check.add(column_range(column))
        sheet.data_validations.append(check)
    rules = [
        (AMOUNT, "decimal", "0", "金额（元）不能为负数"),
        (CARDS, "whole", "0", "须为不小于 0 的整数"),
        (HOUSEHOLDS, "whole", "0", "须为不小于 0 的整数"),
        (PERSONS, "whole", "0", "须为不小于 0 的整数"),
        (DISCOVERED, "date", "36526", "须为日期，如 2022-06-10"),  # 36526: 2000-01-01
        (DEADLINE, "date", "36526", "须为日期，如 2022-07-31"),
    ]
    for column, kind, minimum, message in rules:
        check = DataValidation(
            type=kind,
            operator="greaterThanOrEqual",
            formula1=minimum,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=column,
            error=message,
        )
        check.add(column_range(column))
        sheet.data_validations.append(check)


def _write_help(sheet: WriteOnlyWorksheet, columns: Sequence[str], *, ledger: bool) -> None:
    sheet.column_dimensions["A"].width = 26.0
    sheet.column_dimensions["B"].width = 80.0
    lines = [
        ("列名", "填写要求"),
        *((column, HELP.get(column) or f"（不导入）{LEDGER_HELP[column]}") for column in columns),
        ("", ""),
        ("导入规则", "第 1 行为表头，列名勿改动；列的顺序不限，模板以外的列导入时不读取。"),
        ("", "从第 2 行起每行一条问题。"),
        ("", "整表校验：任何一行有误，全部不导入，并列出每一处错误的行、列和原因。"),
        ("", "导入成功的每一条问题都进入“待审核”，由本单位负责人审核。"),
    ]
    if ledger:
        lines.append(("", NOT_IMPORTED_NOTE))
    for first, second in lines:
        cells = []
        for text in (first, second):
            cell = WriteOnlyCell(sheet)
            put_text(cell, text)
            cell.font = BODY_FONT
            cell.alignment = LEFT
            cells.append(cell)
        sheet.append(cells)
