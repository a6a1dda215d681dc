"""Writing the ledger workbook: the import template (no rows) and the ledger download (the
same sheet with rows), so a download can be imported again. Streamed with openpyxl's
write-only mode: a download of a hundred thousand entries never holds them all as cells."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.datavalidation import DataValidation

from forms.ledger_excel.columns import (
    AMOUNT,
    CARDS,
    CATEGORY,
    COLUMNS,
    DEADLINE,
    DESCRIPTION,
    DISCOVERED,
    FOCUS,
    HELP,
    HELP_SHEET,
    HOUSEHOLDS,
    LIST_SHEET,
    PROGRAMME,
    REQUIRED,
    RESPONSIBLE_UNIT,
    SHEET,
    SOURCE,
    UNIT,
    VILLAGE,
    LedgerChoices,
    LedgerRow,
    focus_label,
)
from forms.tables.style import (
    BODY_FONT,
    BOX,
    CENTER,
    HEADER_FONT,
    LEFT,
    YUAN_FORMAT,
    fen_to_yuan,
    needs_protection,
    put_text,
)

WIDTHS = {DESCRIPTION: 48.0, PROGRAMME: 30.0, FOCUS: 30.0, CATEGORY: 18.0, CARDS: 14.0}
REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")
LAST_ROW = 1_048_576  # drop-downs and checks cover the whole column


def write_template(choices: LedgerChoices, target: str | Path | BinaryIO) -> None:
    """The empty sheet with drop-down lists, the rules per column and the hidden lists."""
    write_ledger([], choices, target)


def write_ledger(
    rows: Iterable[LedgerRow], choices: LedgerChoices, target: str | Path | BinaryIO
) -> int:
    """The sheet with one row per entry; returns how many rows were written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    help_sheet = workbook.create_sheet(HELP_SHEET)
    lists = workbook.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    ranges = _write_lists(lists, choices)
    _add_validations(sheet, ranges)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(column, 13.0)
    sheet.freeze_panes = "A2"
    sheet.append([_header(sheet, column) for column in COLUMNS])
    count = 0
    for row in rows:
        sheet.append(_cells(sheet, row))
        count += 1
    _write_help(help_sheet)
    workbook.save(target)
    return count


def _header(sheet: WriteOnlyWorksheet, column: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet)
    put_text(cell, column)
    cell.font = HEADER_FONT
    cell.alignment = CENTER
    cell.border = BOX
    if column in REQUIRED:
        cell.fill = REQUIRED_FILL
    return cell


def _text(sheet: WriteOnlyWorksheet, value: str) -> WriteOnlyCell | str | None:
    """Plain text goes in as it is (a cell object per value costs a download of a hundred
    thousand rows many seconds); text that could turn into a formula or an error value, or
    that holds control characters, goes through put_text."""
    if not value:
        return None
    if not needs_protection(value):
        return value
    cell = WriteOnlyCell(sheet)
    put_text(cell, value)
    return cell


def _number(sheet: WriteOnlyWorksheet, value: Any, number_format: str) -> WriteOnlyCell | None:
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def _cells(sheet: WriteOnlyWorksheet, row: LedgerRow) -> list[Any]:
    # Dates go in as they are: openpyxl gives a date the format yyyy-mm-dd by itself.
    return [
        _text(sheet, row.source),
        _text(sheet, row.unit),
        _text(sheet, row.village),
        _text(sheet, row.programme),
        _text(sheet, row.category),
        _text(sheet, row.focus_item),
        _text(sheet, row.description),
        _number(sheet, fen_to_yuan(row.amount_fen), YUAN_FORMAT),
        row.cards,
        row.households,
        row.discovered_on,
        _text(sheet, row.responsible_unit),
        _text(sheet, row.responsible_person),
        row.deadline,
    ]


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


def _add_validations(sheet: WriteOnlyWorksheet, ranges: dict[str, str]) -> None:
    def column_range(column: str) -> str:
        letter = get_column_letter(COLUMNS.index(column) + 1)
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


def _write_help(sheet: WriteOnlyWorksheet) -> None:
    sheet.column_dimensions["A"].width = 26.0
    sheet.column_dimensions["B"].width = 80.0
    lines = [
        ("列名", "填写要求"),
        *((column, HELP[column]) for column in COLUMNS),
        ("", ""),
        ("导入规则", "第 1 行为表头，勿改动；从第 2 行起每行一条问题。"),
        ("", "整表校验：任何一行有误，全部不导入，并列出每一处错误的行、列和原因。"),
        ("", "导入成功的每一条问题都进入“待审核”，由本单位负责人审核。"),
    ]
    for first, second in lines:
        cells = []
        for text in (first, second):
            cell = WriteOnlyCell(sheet)
            put_text(cell, text)
            cell.font = BODY_FONT
            cell.alignment = LEFT
            cells.append(cell)
        sheet.append(cells)
