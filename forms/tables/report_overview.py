"""The 报送情况 workbook: one row per report owed (obligation, period, unit) with its state,
as the office's 报送管理 page lists them. The rows come from the campaign as plain values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook

from forms.tables.style import (
    BODY_FONT,
    BOX,
    LEFT,
    header_cell,
    put,
    set_widths,
    write_title,
)

SHEET_TITLE = "报送情况"
TITLE = "惠民惠农财政补贴资金“一卡通”专项治理报送情况"
COLUMNS = (
    ("序号", 6.0),
    ("报送事项", 28.0),
    ("期间", 10.0),
    ("单位", 22.0),
    ("截止日期", 12.0),
    ("状态", 8.0),
    ("报送时间", 18.0),
    ("退回理由", 30.0),
    ("核对提示", 40.0),
)
HEADER_ROW = 2


@dataclass(frozen=True)
class OverviewLine:
    report_name: str
    period: str
    unit_name: str
    due_on: date
    state: str
    filed_at: datetime | None  # local time, naive: Excel has no time zones
    return_reason: str
    warnings: Sequence[str]


def write_overview(lines: Iterable[OverviewLine], target: str | Path | BinaryIO) -> int:
    """Writes the workbook; returns the number of rows written."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = SHEET_TITLE
    write_title(ws, TITLE, len(COLUMNS))
    for index, (name, _width) in enumerate(COLUMNS, start=1):
        header_cell(ws, HEADER_ROW, index, name)
    written = 0
    for written, line in enumerate(lines, start=1):
        row = HEADER_ROW + written
        values = (
            written,
            line.report_name,
            line.period,
            line.unit_name,
            line.due_on,
            line.state,
            line.filed_at,
            line.return_reason,
            "；".join(line.warnings),
        )
        for column, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=column)
            put(cell, value if value is not None else "", "yyyy-mm-dd hh:mm" if column == 7 else "")
            cell.font, cell.border, cell.alignment = BODY_FONT, BOX, LEFT
    set_widths(ws, [width for _name, width in COLUMNS])
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    ws.auto_filter.ref = f"A{HEADER_ROW}:I{HEADER_ROW + max(written, 1)}"
    workbook.save(target)
    return written
