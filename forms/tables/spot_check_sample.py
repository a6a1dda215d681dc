"""The 抽查名单 workbook: the households sampled for a township's spot check, one sheet per
village (the team's list for that village), with the result recorded so far. The rows come
from the campaign as plain values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook

from forms.tables.style import BODY_FONT, BOX, LEFT, header_cell, put, set_widths, write_title

COLUMNS = (
    ("序号", 6.0),
    ("户编号", 16.0),
    ("户主", 12.0),
    ("家庭人口", 10.0),
    ("入户情况", 12.0),
    ("一卡通保管", 16.0),
    ("到户金额与清单", 14.0),
    ("发现问题", 10.0),
    ("台账编号", 18.0),
    ("核查情况说明", 36.0),
)
HEADER_ROW = 2


@dataclass(frozen=True)
class SampleLine:
    code: str
    head_name: str
    members: int
    visited: str
    card_holder: str
    amounts: str
    problem: str
    problem_number: str
    note: str


@dataclass(frozen=True)
class VillageSheet:
    name: str  # the village, as the sheet and its title name it
    title: str
    lines: Sequence[SampleLine]


def write_sample(villages: Sequence[VillageSheet], target: str | Path | BinaryIO) -> int:
    """Writes the workbook; returns the households written."""
    workbook = Workbook()
    written = 0
    first = workbook.active
    for index, village in enumerate(villages):
        ws = first if index == 0 and first is not None else workbook.create_sheet()
        # A sheet's name is at most 31 characters and never repeats.
        ws.title = f"{index + 1}.{village.name}"[:31]
        write_title(ws, village.title, len(COLUMNS))
        for column, (name, _width) in enumerate(COLUMNS, start=1):
            header_cell(ws, HEADER_ROW, column, name)
        for number, line in enumerate(village.lines, start=1):
            values = (
                number,
                line.code,
                line.head_name,
                line.members,
                line.visited,
                line.card_holder,
                line.amounts,
                line.problem,
                line.problem_number,
                line.note,
            )
            for column, value in enumerate(values, start=1):
                cell = ws.cell(row=HEADER_ROW + number, column=column)
                put(cell, value, "")
                cell.font, cell.border, cell.alignment = BODY_FONT, BOX, LEFT
        written += len(village.lines)
        set_widths(ws, [width for _name, width in COLUMNS])
        ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    if not villages and first is not None:
        first.title = "抽查名单"
        write_title(first, "抽查名单（本乡镇各村尚无户籍名单）", len(COLUMNS))
    workbook.save(target)
    return written
