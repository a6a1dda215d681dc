"""Reading an uploaded ledger sheet, safely and fast: the archive checks first, then one
streaming pass over the sheet's XML, the columns the header names as the import's only
(forms.ledger_excel.header), and only down to the last row that holds a value.

The cells are read here rather than through openpyxl.load_workbook(read_only=True), which was
measured at 16 s for 100,000 rows of inline strings (the form openpyxl itself writes), and
which parses a whole sheet that lacks a <dimension> element just to size it: a sheet of a
million empty rows would be parsed in full before the first row is read. The semantics are
openpyxl's data_only ones: a formula gives its cached value and is never evaluated."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from lxml import etree
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from forms.ledger_excel.archive import (
    MAX_FILE_BYTES,
    SpreadsheetRefused,
    open_archive,
    sheet_extent,
    workbook_parts,
)
from forms.ledger_excel.columns import COLUMNS, DEADLINE, DISCOVERED, SHEET, RowError
from forms.ledger_excel.header import HeaderLayout, header_layout, header_text

MAX_ROWS = 200_000
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_T, _V, _IS, _C = f"{_NS}t", f"{_NS}v", f"{_NS}is", f"{_NS}c"
_DIGITS = "0123456789"
_DATE_COLUMNS = frozenset(COLUMNS.index(c) for c in (DISCOVERED, DEADLINE))
_SERIAL_RANGE = (1, 2958465)  # Excel's dates: 1900-01-01 .. 9999-12-31

Values = tuple[Any, ...]


@dataclass(frozen=True)
class LedgerSheet:
    # (Excel row number, one value per column of COLUMNS), for the rows that hold anything
    # the import takes.
    rows: list[tuple[int, Values]]
    header_errors: list[RowError]
    # Columns present and not imported: their headers, then "X 列（无表头）" for a column
    # without one that holds values.
    ignored: tuple[str, ...] = ()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@contextmanager
def _binary(source: str | Path | IO[bytes]) -> Iterator[IO[bytes]]:
    if isinstance(source, (str, Path)):
        with open(source, "rb") as handle:
            yield handle
        return
    if source.seekable():
        yield source
        return
    # A stream that cannot seek (a pipe): read at most one byte over the limit.
    yield io.BytesIO(source.read(MAX_FILE_BYTES + 1))


def read_ledger(source: str | Path | IO[bytes], *, max_rows: int = MAX_ROWS) -> LedgerSheet:
    """The sheet 问题台账's rows, or SpreadsheetRefused saying why the file cannot be read."""
    with _binary(source) as stream, open_archive(stream) as archive:
        parts = workbook_parts(archive, SHEET)
        extent = sheet_extent(archive, parts.sheet, max_rows)
        if extent.last_row_with_values == 0:
            raise SpreadsheetRefused(f"工作表“{SHEET}”是空的")
        try:
            shared = shared_strings(archive, parts.shared_strings)
            epoch = CALENDAR_MAC_1904 if parts.date1904 else CALENDAR_WINDOWS_1900
            rows = _row_elements(archive, parts.sheet, extent.last_row_with_values)
            return _ledger(rows, shared, epoch)
        except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError, EOFError):
            raise SpreadsheetRefused("文件已损坏，无法读取工作表内容") from None


def _ledger(rows: Iterator[tuple[int, Any]], shared: list[str], epoch: datetime) -> LedgerSheet:
    first = next(rows, None)
    header: dict[int, Any] = {}
    if first is not None and first[0] == 1:
        header = {column: _value(cell, shared, -1, epoch) for column, cell in _cells(first[1])}
    layout = header_layout(header)
    if layout.errors:
        return LedgerSheet([], layout.errors, layout.ignored)
    named = {column for column, value in header.items() if header_text(value)}
    found: list[tuple[int, Values]] = []
    unnamed: set[int] = set()  # columns without a header that hold values
    for number, row in rows:
        values = _values(row, layout, shared, epoch, named, unnamed)
        if not all(is_blank(v) for v in values):
            found.append((number, values))
    headless = tuple(f"{get_column_letter(c)} 列（无表头）" for c in sorted(unnamed))
    return LedgerSheet(found, [], layout.ignored + headless)


def _cells(row: Any) -> Iterator[tuple[int, Any]]:
    """The row's <c> elements with their column numbers (1 = A)."""
    column = 0
    for cell in row.iterchildren(_C):
        column = column_number(cell.get("r"), column)
        yield column, cell


def _values(
    row: Any,
    layout: HeaderLayout,
    shared: list[str],
    epoch: datetime,
    named: set[int],
    unnamed: set[int],
) -> Values:
    values: list[Any] = [None] * len(COLUMNS)
    slots = layout.slots
    for column, cell in _cells(row):
        slot = slots.get(column)
        if slot is not None:
            values[slot] = _value(cell, shared, slot, epoch)
        elif column not in named and len(cell) and not is_blank(_value(cell, shared, -1, epoch)):
            unnamed.add(column)
    return tuple(values)


def text_of(element: Any) -> str:
    """The text of a string item: its <t>, or the <t> of each rich-text run (<rPh>, the
    phonetic guide, is not part of the text)."""
    if len(element) == 1 and element[0].tag == _T:  # the usual case, read directly
        return element[0].text or ""
    parts = [t.text or "" for t in element.iterchildren(_T)]
    for run in element.iterchildren(f"{_NS}r"):
        parts.extend(t.text or "" for t in run.iterchildren(_T))
    return "".join(parts)


def iterparse_elements(source: IO[bytes], tag: str) -> Iterator[Any]:
    """Elements with the tag, each dropped after use, so memory stays flat however long the
    part is."""
    for _, element in etree.iterparse(
        source, events=("end",), tag=tag, resolve_entities=False, no_network=True
    ):
        yield element
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]


def shared_strings(archive: zipfile.ZipFile, part: str | None) -> list[str]:
    if part is None:
        return []
    with archive.open(part) as source:
        return [text_of(item) for item in iterparse_elements(source, f"{_NS}si")]


def _row_elements(archive: zipfile.ZipFile, part: str, last_row: int) -> Iterator[tuple[int, Any]]:
    """(row number, <row> element) down to the last row with values; each element is
    dropped once the loop moves on."""
    number = 0
    with archive.open(part) as source:
        for row in iterparse_elements(source, f"{_NS}row"):
            ref = row.get("r")
            number = int(ref) if ref and ref.isdigit() else number + 1
            if number > last_row:
                return
            yield number, row


def column_number(ref: str | None, previous: int) -> int:
    """The column (1 = A) of a cell reference; without one, the column after `previous`."""
    if not ref:
        return previous + 1
    letters = ref.rstrip(_DIGITS)
    if len(letters) == 1 and "A" <= letters <= "Z":
        return ord(letters) - 64  # the usual case, without a regular expression
    try:
        return int(column_index_from_string(letters))
    except ValueError:
        raise SpreadsheetRefused(f"单元格地址无效：{ref[:20]}") from None


def _value(cell: Any, shared: list[str], index: int, epoch: datetime) -> Any:
    kind = cell.get("t", "n")
    raw = None
    for child in cell:  # <f>, <v>, <is> or an extension: at most a few children
        if child.tag == _V:
            raw = child.text or ""
        elif child.tag == _IS and kind == "inlineStr":
            return text_of(child)
    if raw is None:
        return None  # a formula without a cached value, or an empty styled cell
    if kind == "s":
        try:
            return shared[int(raw)]
        except (ValueError, IndexError):
            raise SpreadsheetRefused("文件已损坏（共享字符串索引无效）") from None
    if kind in ("str", "e"):
        return raw  # a formula's text result; an error value such as #N/A
    if kind == "b":
        return raw.strip() in ("1", "true")
    if kind == "d":
        try:
            return datetime.fromisoformat(raw.strip())
        except ValueError:
            return raw
    return _number(raw, index, epoch)


def _number(raw: str, index: int, epoch: datetime) -> Any:
    text = raw.strip()
    try:
        number: int | float = int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return raw
    # The date columns hold Excel serial dates (whether the cell is styled as a date or not).
    if index in _DATE_COLUMNS and _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
        return from_excel(number, epoch)
    return number
