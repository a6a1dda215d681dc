"""Which column of an uploaded sheet holds what, found by the header in row 1, not by
position: the template's own sheet, the ledger download (the 整改台账, with the number, status
and dates an import does not take) and a sheet whose columns were moved all import.

Refused: a column of the template that is missing (涉及人数 may be, as in templates made
before it was added), and a column the import takes that appears twice (which one would
count?). Other columns are named, so the person knows they were not imported."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from forms.ledger_excel.columns import COLUMNS, OPTIONAL_COLUMNS, RowError

_SLOTS = {name: slot for slot, name in enumerate(COLUMNS)}
# Parentheses and spaces typed the other way round: a near miss worth naming.
_LOOSE = str.maketrans({"(": "（", ")": "）", " ": None, "\u3000": None})


@dataclass(frozen=True)
class HeaderLayout:
    slots: Mapping[int, int]  # sheet column (1 = A) -> index in COLUMNS
    ignored: tuple[str, ...] = ()  # headers of the columns not taken, in sheet order
    errors: list[RowError] = field(default_factory=list)


def header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def header_layout(cells: Mapping[int, Any]) -> HeaderLayout:
    """The layout of a header row given as {column: value}."""
    found: dict[str, list[int]] = {}
    ignored: list[str] = []
    for column in sorted(cells):
        text = header_text(cells[column])
        if text in _SLOTS:
            found.setdefault(text, []).append(column)
        elif text and text not in ignored:
            ignored.append(text)
    if not found:
        first = "”“".join(COLUMNS[:3])
        reason = f"第 1 行不是导入模板的表头（应为“{first}”等列名）；请使用导入模板"
        return HeaderLayout({}, tuple(ignored), [RowError(1, "", reason)])
    errors = []
    for name in COLUMNS:
        columns = found.get(name, [])
        if len(columns) > 1:
            where = "、".join(get_column_letter(c) for c in columns)
            reason = f"出现了 {len(columns)} 次（{where} 列），请只保留一列"
            errors.append(RowError(1, name, reason))
        elif not columns and name not in OPTIONAL_COLUMNS:
            errors.append(RowError(1, name, _missing(name, ignored)))
    slots = {columns[0]: _SLOTS[name] for name, columns in found.items()}
    return HeaderLayout(slots, tuple(ignored), errors)


def _missing(name: str, ignored: list[str]) -> str:
    near = [text for text in ignored if text.translate(_LOOSE) == name.translate(_LOOSE)]
    if near:
        return f"缺少此列；表头“{near[0]}”应改为“{name}”"
    return "缺少此列；请使用导入模板，列名勿改动"
