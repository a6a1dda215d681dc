"""The ledger download's rows, written as sheet XML straight into the workbook openpyxl saved.

openpyxl lays out everything else (styles, header, column widths, drop-downs, the hidden
lists, the page setup) and saves the sheet with its header only; the rows are then written
into that sheet's part while the zip is copied. openpyxl spends about 20 µs a cell writing a
row (a cell object, its value checks, an lxml element per cell): 25 columns of a hundred
thousand entries would take a minute. Formatting a cell here takes about a microsecond, and
every cell gets its style (宋体, boxed, money with two decimals, dates as dates) at no cost.

Text is written as inline strings, as openpyxl writes it: never a formula, whatever it
begins with (text beginning with =, +, - or @ also gets the quote prefix, so editing it in
Excel or WPS does not turn it into one)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import IO, Any

from openpyxl.utils import get_column_letter

from forms.ledger_excel.archive import workbook_parts
from forms.tables.style import FORMULA_STARTS

_END = b"</sheetData>"
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()  # serial 1 is 1900-01-01 (after Feb 1900)
# What an XML 1.0 document cannot hold: control characters, lone surrogates, U+FFFE/U+FFFF.
_ILLEGAL = re.compile("[\000-\010\013\014\016-\037\ud800-\udfff\ufffe\uffff]")
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_BATCH = 2000  # rows encoded and written at a time


class Kind(Enum):
    TEXT = "text"
    MONEY = "money"  # 分, written as 元 with two decimals
    COUNT = "count"
    DATE = "date"


@dataclass(frozen=True)
class Styles:
    """The style ids (cellXfs) of the body cells, registered in the workbook by the writer."""

    text: int
    quoted: int  # text with the quote prefix
    money: int
    count: int
    date: int


def _text_cell(ref: str, value: str, styles: Styles) -> str:
    text = _ILLEGAL.sub("", value)
    style = styles.quoted if text.startswith(FORMULA_STARTS) else styles.text
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    escaped = text.translate(_ESCAPE)
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{escaped}</t></is></c>'


def _cell(kind: Kind, ref: str, value: Any, styles: Styles) -> str:
    if kind is Kind.TEXT:
        return _text_cell(ref, value, styles)
    if kind is Kind.MONEY:
        sign, fen = ("-", -value) if value < 0 else ("", value)
        return f'<c r="{ref}" s="{styles.money}"><v>{sign}{fen // 100}.{fen % 100:02d}</v></c>'
    if kind is Kind.COUNT:
        return f'<c r="{ref}" s="{styles.count}"><v>{int(value)}</v></c>'
    serial = value.toordinal() - _EXCEL_EPOCH
    return f'<c r="{ref}" s="{styles.date}"><v>{serial}</v></c>'


Layout = Sequence[tuple[str, Kind]]  # each column's letter and kind


def layout(kinds: Sequence[Kind]) -> Layout:
    return [(get_column_letter(index), kind) for index, kind in enumerate(kinds, start=1)]


def row_xml(number: int, columns: Layout, values: Sequence[Any], styles: Styles) -> str:
    """One <row>: a cell per value that is neither None nor empty text."""
    cells = [f'<row r="{number}">']
    for (letter, kind), value in zip(columns, values, strict=True):
        if value is None or value == "":
            continue
        cells.append(_cell(kind, f"{letter}{number}", value, styles))
    cells.append("</row>")
    return "".join(cells)


def write_rows(
    saved: IO[bytes],
    target: Any,
    sheet: str,
    kinds: Sequence[Kind],
    rows: Iterable[Sequence[Any]],
    styles: Styles,
) -> int:
    """Copy the saved workbook to the target with the rows (from row 2 on) written into the
    named sheet; returns how many rows were written."""
    columns = layout(kinds)
    count = 0
    with zipfile.ZipFile(saved) as source:
        part = workbook_parts(source, sheet).sheet
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
            for info in source.infolist():
                data = source.read(info)
                if info.filename != part:
                    out.writestr(info, data)
                    continue
                end = data.rindex(_END)
                member = zipfile.ZipInfo(part, date_time=info.date_time)
                member.compress_type = zipfile.ZIP_DEFLATED
                with out.open(member, "w", force_zip64=True) as stream:
                    stream.write(data[:end])
                    batch: list[str] = []
                    for count, values in enumerate(rows, start=1):
                        batch.append(row_xml(count + 1, columns, values, styles))
                        if len(batch) == _BATCH:
                            stream.write("".join(batch).encode())
                            batch = []
                    stream.write("".join(batch).encode())
                    stream.write(data[end:])
    return count
