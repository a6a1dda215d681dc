"""The audit log's download: one row per record, newest first, as the auditor's page shows
them, written as they are read (a write-only workbook: a hundred thousand records are not
held in memory at once). The rows come from the campaign as plain text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from forms.tables.style import BODY_FONT, HEADER_FONT, TITLE_FONT, put_text

COLUMNS = (
    ("时间", 20.0),
    ("用户", 14.0),
    ("操作", 22.0),
    ("操作代码", 20.0),
    ("对象", 30.0),
    ("结果", 8.0),
    ("来源", 10.0),
    ("IP 地址", 16.0),
    ("客户端", 24.0),
    ("详情", 60.0),
)


@dataclass(frozen=True)
class AuditLine:
    at: str  # Beijing time, to the second
    actor: str
    action: str  # as the page names it
    action_code: str
    target: str
    result: str
    source: str
    ip: str
    client: str
    details: str


def write_audit(title: str, lines: Iterable[AuditLine], target: str | Path | BinaryIO) -> int:
    """Writes the workbook: the title (what was asked for), the header, the lines; returns
    how many lines were written."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("审计日志")
    for column, (_name, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.append([_text(ws, title, TITLE_FONT)])
    ws.append([_text(ws, name, HEADER_FONT) for name, _width in COLUMNS])
    written = 0
    for line in lines:
        ws.append([_text(ws, value, BODY_FONT) for value in astuple(line)])
        written += 1
    workbook.save(target)
    return written


def _text(ws: object, text: str, font: object) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws)
    put_text(cell, text)  # a name or an address beginning with "=" stays text
    cell.font = font
    return cell
