"""Checks on an uploaded .xlsx before its cells are read.

An .xlsx is a zip of XML parts. What is refused here costs no more than reading the zip's
directory and scanning one part as bytes: files that are not zips, zip bombs (by the sizes
and ratios the directory declares; Python's zipfile never inflates a member past its declared
size), XML with a DOCTYPE (entity expansion), and sheets whose rows run past the limit."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from posixpath import join, normpath
from typing import IO

from lxml import etree

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_TOTAL_UNCOMPRESSED = 512 * 1024 * 1024
MAX_PART_UNCOMPRESSED = 256 * 1024 * 1024
MAX_SHARED_STRINGS = 100 * 1024 * 1024  # openpyxl holds every shared string in memory
MAX_RATIO = 200  # a spreadsheet part compresses 5–50 times; bombs a thousand times and more
RATIO_FLOOR = 1024 * 1024  # small parts may compress as much as they like
MAX_MEMBERS = 2000
EXCEL_MAX_ROW = 1_048_576

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# A row start or a value-bearing element (<v> for numbers and shared strings, <is> for
# inline strings), with any namespace prefix.
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|v|is)(?=[\s/>])([^>]*)>")
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["'](\d+)["']""")
_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_CHUNK = 1 << 20
_MAX_TAG = 64 * 1024


class SpreadsheetRefused(ValueError):
    """The file cannot be read as a ledger sheet; the message says why, in Chinese."""


@dataclass(frozen=True)
class SheetExtent:
    rows_seen: int  # <row> elements, empty ones included
    last_row_with_values: int  # 0 when no cell holds a value


def file_size(stream: IO[bytes]) -> int:
    position = stream.tell()
    size = stream.seek(0, 2)
    stream.seek(position)
    return size


def open_archive(stream: IO[bytes]) -> zipfile.ZipFile:
    """The upload as a zip whose declared sizes are sane; refuses anything else."""
    if file_size(stream) > MAX_FILE_BYTES:
        raise SpreadsheetRefused(f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB，请拆分后分批导入")
    stream.seek(0)
    magic = stream.read(8)
    stream.seek(0)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise SpreadsheetRefused("这是旧版 Excel（.xls）或加密的文件，请另存为 .xlsx 后再导入")
    if not magic.startswith(b"PK\x03\x04"):
        raise SpreadsheetRefused("文件不是 Excel 工作簿（.xlsx），请使用导入模板")
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SpreadsheetRefused("文件已损坏或不是 Excel 工作簿（.xlsx）") from None
    try:
        _check_members(archive)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_members(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise SpreadsheetRefused("文件结构异常（压缩包内文件过多），已拒绝")
    total = 0
    for info in members:
        size = info.file_size
        total += size
        if info.flag_bits & 0x1:
            raise SpreadsheetRefused("文件已加密，请去掉密码后再导入")
        if size > MAX_PART_UNCOMPRESSED or total > MAX_TOTAL_UNCOMPRESSED:
            raise SpreadsheetRefused("文件解压后过大（疑似压缩炸弹），已拒绝")
        if size > RATIO_FLOOR and size > MAX_RATIO * max(info.compress_size, 1):
            raise SpreadsheetRefused("文件压缩比异常（疑似压缩炸弹），已拒绝")
        if info.filename.endswith("sharedStrings.xml") and size > MAX_SHARED_STRINGS:
            raise SpreadsheetRefused("文件中的文字内容过多，请拆分后分批导入")
    names = {info.filename for info in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise SpreadsheetRefused("文件不是 Excel 工作簿（.xlsx），请使用导入模板")
    for info in members:
        if info.filename.endswith((".xml", ".rels")):
            _refuse_doctype(archive, info.filename)


def _refuse_doctype(archive: zipfile.ZipFile, name: str) -> None:
    """Entities can only be declared in a DOCTYPE, which spreadsheets never have."""
    try:
        with archive.open(name) as part:
            head = part.read(_MAX_TAG)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise SpreadsheetRefused("文件已损坏，无法读取") from None
    if _DOCTYPE.search(head):
        raise SpreadsheetRefused("文件含有不允许的 XML 声明（DOCTYPE），已拒绝")


@dataclass(frozen=True)
class WorkbookParts:
    sheet: str  # the zip member of the worksheet asked for
    shared_strings: str | None
    date1904: bool  # dates counted from 1904 (old Mac workbooks) instead of 1900


def workbook_parts(archive: zipfile.ZipFile, sheet_name: str | None) -> WorkbookParts:
    """Where the named worksheet (None: the first) and the shared strings are; refuses when
    there is no such sheet."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        workbook = etree.fromstring(archive.read("xl/workbook.xml"), parser)
        rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"), parser)
    except (KeyError, etree.XMLSyntaxError, zipfile.BadZipFile, OSError):
        raise SpreadsheetRefused("文件已损坏，无法读取工作表") from None
    members = set(archive.namelist())
    targets: dict[str, str] = {}
    shared = None
    for rel in rels.iter(f"{{{_PKG_REL_NS}}}Relationship"):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
        targets[rel.get("Id", "")] = path
        if rel.get("Type", "").endswith("/sharedStrings") and path in members:
            shared = path
    properties = workbook.find(f"{{{_MAIN_NS}}}workbookPr")
    date1904 = properties is not None and properties.get("date1904") in ("1", "true")
    names = []
    for sheet in workbook.iter(f"{{{_MAIN_NS}}}sheet"):
        names.append(sheet.get("name", ""))
        path = targets.get(sheet.get(f"{{{_REL_NS}}}id", ""), "")
        wanted = sheet_name is None or sheet.get("name", "").strip() == sheet_name
        if wanted and path in members:
            return WorkbookParts(path, shared, date1904)
    shown = "、".join(f"“{n}”" for n in names) or "（无）"
    if sheet_name is None:
        raise SpreadsheetRefused("文件中没有工作表")
    raise SpreadsheetRefused(
        f"找不到名为“{sheet_name}”的工作表（文件中的工作表：{shown}），请使用导入模板"
    )


def sheet_extent(archive: zipfile.ZipFile, part: str, max_rows: int) -> SheetExtent:
    """Where the sheet's values end, found by scanning its XML as bytes: a sheet of a
    million empty rows takes a fraction of a second and no memory, and the parser that
    reads the values afterwards stops at the last row that has any."""
    rows_seen = row = last = 0
    pending = b""
    with archive.open(part) as source:
        while chunk := source.read(_CHUNK):
            data = pending + chunk
            cut = data.rfind(b"<")
            if cut == -1 or data.find(b">", cut) != -1:
                cut = len(data)  # every tag in the buffer is complete
            for match in _TAG.finditer(data, 0, cut):
                if match.group(1) == b"row":
                    number = _ROW_NUMBER.search(match.group(2))
                    row = int(number.group(1)) if number else row + 1
                    rows_seen += 1
                    if row > EXCEL_MAX_ROW:
                        raise SpreadsheetRefused("工作表行号超出 Excel 的范围，文件已损坏")
                else:
                    last = row
                    if last - 1 > max_rows:
                        raise SpreadsheetRefused(f"工作表超过 {max_rows} 行数据，请拆分后分批导入")
            pending = data[cut:]
            if len(pending) > _MAX_TAG:
                raise SpreadsheetRefused("工作表结构异常，已拒绝")
    return SheetExtent(rows_seen, last)
