"""Reading a list of rows (a payment roll, a reference list) from .xlsx or .csv, streamed, so
that a million rows never sit in memory, and refusing hostile files as the ledger import
does: the .xlsx goes through the same archive checks (zip bombs, DOCTYPE, encrypted or old
files, rows past the limit, a million empty rows never iterated); a .csv must be UTF-8 (with
or without BOM) or GB18030/GBK as Excel and WPS save it, and holds no NUL bytes.

The kind is told by the file's first bytes, except that a file named as a workbook (.xlsx,
.xlsm) is one or is refused as not one, as the ledger import refuses it: a damaged workbook
is never read as a text table. A formula is never evaluated:
an .xlsx cell holding one comes back as a Formula, which the caller refuses by row and
column; text that a spreadsheet would take for a formula (=, +, @) is for the caller to
refuse the same way."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from lxml import etree

from forms.ledger_excel.archive import (
    SpreadsheetRefused,
    open_archive,
    sheet_extent,
    workbook_parts,
)
from forms.ledger_excel.reader import column_number, iterparse_elements, shared_strings, text_of

MAX_ROWS = 1_500_000
MAX_CSV_BYTES = 1024 * 1024 * 1024
_SAMPLE = 1 << 16
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_C, _V, _F, _IS = (f"{_NS}{t}" for t in ("c", "v", "f", "is"))

Row = tuple[int, list[Any]]  # (row number in the file, header = 1; the values by column)


@dataclass(frozen=True)
class Formula:
    """A cell that holds a formula (never evaluated)."""

    text: str


@dataclass
class Table:
    header: list[str]
    rows: Iterator[Row]
    kind: str  # "xlsx" or "csv"
    date1904: bool = False


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


@contextmanager
def open_table(
    source: str | Path | IO[bytes], max_rows: int = MAX_ROWS, *, name: str = ""
) -> Iterator[Table]:
    """The file's header (row 1) and its rows below, those not wholly blank. `name` is the
    file's name as uploaded (a path's own name if not given)."""
    if not name and isinstance(source, (str, Path)):
        name = Path(source).name
    workbook = name.strip().lower().endswith(WORKBOOK_SUFFIXES)
    with _binary(source) as stream:
        magic = stream.read(8)
        stream.seek(0)
        if workbook or magic.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            with open_archive(stream) as archive:
                yield _xlsx(archive, max_rows)
        else:
            yield _csv(stream, max_rows)


@contextmanager
def _binary(source: str | Path | IO[bytes]) -> Iterator[IO[bytes]]:
    if isinstance(source, (str, Path)):
        with open(source, "rb") as handle:
            yield handle
        return
    yield source


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---- csv ----------------------------------------------------------------------------------


def _encoding(stream: IO[bytes]) -> str:
    head = stream.read(_SAMPLE)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
        raise SpreadsheetRefused("文件不是文本表格（或为 UTF-16 编码），请另存为 UTF-8 的 CSV")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _csv(stream: IO[bytes], max_rows: int) -> Table:
    size = stream.seek(0, 2)
    stream.seek(0)
    if size > MAX_CSV_BYTES:
        raise SpreadsheetRefused("文件超过 1 GB，请拆分后分批导入")
    encoding = _encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    reader = csv.reader(_checked_lines(text), strict=True)
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error):
        raise SpreadsheetRefused("文件的表头无法读取（编码或格式不符）") from None
    if header is None:
        raise SpreadsheetRefused("文件是空的")
    return Table([cell.strip() for cell in header], _csv_rows(reader, text, max_rows), "csv")


def _checked_lines(text: io.TextIOWrapper) -> Iterator[str]:
    for line in text:
        if "\x00" in line:
            raise SpreadsheetRefused("文件含有二进制内容（NUL 字符），不是文本表格")
        yield line


def _csv_rows(reader: Any, text: io.TextIOWrapper, max_rows: int) -> Iterator[Row]:
    number = 1
    try:
        for values in reader:
            number += 1
            if number - 1 > max_rows:
                raise SpreadsheetRefused(f"文件超过 {max_rows} 行，请拆分后分批导入")
            if values and not all(blank(v) for v in values):
                yield number, list(values)
    except UnicodeDecodeError:
        raise SpreadsheetRefused(
            f"第 {number + 1} 行附近有无法识别的字符：请将文件另存为 UTF-8 或 GBK 编码"
        ) from None
    except csv.Error as error:
        raise SpreadsheetRefused(f"第 {number} 行格式有误：{error}") from None
    finally:
        text.detach()


# ---- xlsx ---------------------------------------------------------------------------------


def _xlsx(archive: zipfile.ZipFile, max_rows: int) -> Table:
    parts = workbook_parts(archive, None)
    extent = sheet_extent(archive, parts.sheet, max_rows)
    if extent.last_row_with_values == 0:
        raise SpreadsheetRefused("工作表是空的")
    try:
        shared = shared_strings(archive, parts.shared_strings)
        rows = _sheet_rows(archive, parts.sheet, shared, extent.last_row_with_values)
        first = next(rows, None)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError, EOFError):
        raise SpreadsheetRefused("文件已损坏，无法读取工作表内容") from None
    if first is None or first[0] != 1:
        raise SpreadsheetRefused("第 1 行须为表头")
    header = ["" if blank(v) else str(v).strip() for v in first[1]]
    return Table(header, _guarded(rows), "xlsx", parts.date1904)


def _guarded(rows: Iterator[Row]) -> Iterator[Row]:
    try:
        for number, values in rows:
            if not all(blank(v) for v in values):
                yield number, values
    except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError, EOFError):
        raise SpreadsheetRefused("文件已损坏，无法读取工作表内容") from None


def _sheet_rows(
    archive: zipfile.ZipFile, part: str, shared: list[str], last_row: int
) -> Iterator[Row]:
    number = 0
    with archive.open(part) as source:
        for row in iterparse_elements(source, f"{_NS}row"):
            ref = row.get("r")
            number = int(ref) if ref and ref.isdigit() else number + 1
            if number > last_row:
                return
            values: list[Any] = []
            column = 0
            for cell in row.iterchildren(_C):
                column = column_number(cell.get("r"), column)
                if column > 64:
                    continue  # far beyond any column a list has
                values.extend([None] * (column - len(values)))
                values[column - 1] = _value(cell, shared)
            yield number, values


def _value(cell: Any, shared: list[str]) -> Any:
    kind = cell.get("t", "n")
    raw = None
    for child in cell:
        if child.tag == _F:
            return Formula(child.text or "")
        if child.tag == _V:
            raw = child.text or ""
        elif child.tag == _IS:
            return text_of(child)
    if raw is None:
        return None
    if kind == "s":
        try:
            return shared[int(raw)]
        except (ValueError, IndexError):
            raise SpreadsheetRefused("文件已损坏（共享字符串索引无效）") from None
    if kind in ("str", "e", "inlineStr"):
        return raw
    if kind == "b":
        return raw.strip() in ("1", "true")
    if kind == "d":
        try:
            return datetime.fromisoformat(raw.strip())
        except ValueError:
            return raw
    text = raw.strip()
    try:
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return raw
