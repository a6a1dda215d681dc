"""Building ledger workbooks for the tests: with openpyxl as a person's Excel would, or by
hand, part by part, for files no spreadsheet program would write."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook

from forms.ledger_excel import COLUMNS, SHEET

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    f'<sheets><sheet name="{SHEET}" sheetId="1" r:id="rId1"/></sheets></workbook>'
).encode()
RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
    b'openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>'
)


def good_row(columns: Sequence[str] = COLUMNS, /, **changes: Any) -> list[Any]:
    """A valid row as a person types it (labels, an Excel date, a number), in the columns
    given (the template's by default)."""
    row: dict[str, Any] = {
        "问题来源": "自查自纠",
        "乡镇（单位）": "青山镇",
        "村（社区）": "青山村",
        "补贴项目": "耕地地力保护补贴",
        "问题类别": "截留挪用",
        "整治重点": "3.3 贪污侵占、截留挪用补贴资金",
        "问题描述": "村会计截留耕地地力保护补贴",
        "涉及金额（元）": 1234.56,
        "违规代管一卡通数量（张）": 0,
        "涉及户数": 3,
        "涉及人数": 7,
        "发现日期": date(2022, 6, 10),
        "责任单位": None,
        "责任人": None,
        "整改时限": None,
    }
    unknown = set(changes) - set(row)
    assert not unknown, unknown
    row.update(changes)
    return [row[column] for column in columns]


def workbook(rows: Iterable[Sequence[Any]], header: Sequence[Any] = COLUMNS) -> io.BytesIO:
    """A sheet as Excel would save it (shared strings, a <dimension>)."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def header_xml() -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(COLUMNS)
    )
    return f'<row r="1">{cells}</row>'


def handmade(
    sheet_parts: Iterable[bytes], *, compression: int = zipfile.ZIP_DEFLATED
) -> io.BytesIO:
    """An .xlsx of the minimal parts, the sheet's XML given in pieces (it may be huge)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for part in sheet_parts:
                sheet.write(part)
    buffer.seek(0)
    return buffer


def sheet_xml(rows_xml: Iterable[str]) -> Iterable[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'.encode()
    for chunk in rows_xml:
        yield chunk.encode()
    yield b"</sheetData></worksheet>"


def empty_rows(first: int, last: int, batch: int = 10000) -> Iterable[str]:
    """Styled empty rows, as some programs write them down to the end of a sheet."""
    for start in range(first, last + 1, batch):
        stop = min(last, start + batch - 1)
        yield "".join(f'<row r="{n}" ht="15" customHeight="1"/>' for n in range(start, stop + 1))


def records(sheet: Any) -> list[dict[str, Any]]:
    """The rows below an openpyxl sheet's header, as {header: cell}: the columns are found by
    name, as the import finds them."""
    rows = sheet.iter_rows()
    header = [cell.value for cell in next(rows)]
    return [dict(zip(header, row, strict=False)) for row in rows]
