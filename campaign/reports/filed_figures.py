"""A statutory table as a document of plain data, for filing: labels and exact figures (分
and counts), serialised one canonical way so that its SHA-256 names exactly these figures,
and compared cell by cell with another version of the same table.

The document:

    {"table": "attachment2" | "attachment3" | "attachment3_township",
     "scope": {"campaign": id, "unit": code, "date_from": "YYYY-MM-DD" | null, "date_to": ...},
     "filing_unit": name, "period": "统计时段：…",
     "columns": [{"key", "name", "measure": "money" | "count" | "cards"}, ...],
     "rows": [{"kind", "key", "number", "name", "values": [int | null, ...]}, ...]}

A row's values follow the columns; a section heading of 附件2 has none; a blank cell of 附件3
(其他, or a population nobody recorded) is null. Money is in 分, never rounded."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from forms.tables import attachment2 as table2
from forms.tables import attachment3 as table3
from forms.tables.style import fen_to_wan, fen_to_yuan

Document = dict[str, Any]
# 县总人口数 describes the unit, not the work done: a table with only a population is empty.
NOT_WORK = frozenset({"population"})


def attachment2_document(
    table: table2.Attachment2Table, scope: dict[str, Any], kind: str = "attachment2"
) -> Document:
    return {
        "table": kind,
        "scope": scope,
        "filing_unit": table.filing_unit,
        "period": table.period,
        "columns": [{"key": c.key, "name": c.name, "measure": c.measure} for c in table.columns],
        "rows": [
            {
                "kind": r.kind,
                "key": r.key,
                "number": r.number,
                "name": r.name,
                "values": list(r.values),
            }
            for r in table.rows
        ],
    }


def attachment3_document(
    table: table3.Attachment3Table, scope: dict[str, Any], kind: str
) -> Document:
    columns = table3.COLUMNS
    return {
        "table": kind,
        "scope": scope,
        "filing_unit": table.filing_unit,
        "period": table.period,
        "columns": [
            {
                "key": c.key,
                "name": _attachment3_name(c, table.by_township),
                "measure": c.measure,
            }
            for c in columns
        ],
        "rows": [
            {
                "kind": r.kind,
                "key": r.key,
                "number": r.number,
                "name": r.name,
                "values": [r.values.get(c.key) for c in columns],
            }
            for r in table.rows
        ],
    }


def _attachment3_name(column: table3.Column, by_township: bool) -> str:
    if column.key == "population" and by_township:
        return table3.TOWNSHIP_POPULATION_HEADER
    return column.name


def canonical(document: Document) -> str:
    """The one serialisation of a document: keys sorted, no spaces, Chinese as is."""
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def has_figures(document: Document) -> bool:
    """Whether any cell that counts work is above zero."""
    keys = [c["key"] for c in document["columns"]]
    return any(
        value
        for row in document["rows"]
        for key, value in zip(keys, row["values"], strict=False)
        if key not in NOT_WORK
    )


@dataclass(frozen=True)
class Change:
    """One cell that differs: its row and column, the value filed and the value now (exact
    分 or a count; None for a blank cell or a row or column one version lacks)."""

    row_key: str
    row_name: str
    column_key: str
    column_name: str
    measure: str
    filed: int | None
    current: int | None

    @property
    def money(self) -> bool:
        return self.measure == "money"

    def shown(self, value: int | None) -> str:
        """As the printed table shows it: 万元 to four decimals, or the count."""
        if value is None:
            return "（空）"
        return str(fen_to_wan(value)) if self.money else str(value)

    def exact(self, value: int | None) -> str:
        """The exact amount in 元 (money only)."""
        if value is None or not self.money:
            return ""
        return f"{fen_to_yuan(value):,.2f} 元"


def _row_id(row: dict[str, Any]) -> str:
    return f"{row['kind']}:{row['key']}"


def _cells(document: Document) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The document's rows with figures, by row id, each with its values by column key; and
    its columns by key."""
    columns = {c["key"]: c for c in document["columns"]}
    keys = list(columns)
    rows = {
        _row_id(row): {
            "name": row["name"],
            "values": dict(zip(keys, row["values"], strict=False)),
        }
        for row in document["rows"]
        if row["kind"] != "section"
    }
    return rows, columns


def changes(filed: Document, current: Document) -> list[Change]:
    """Every cell whose value differs between the filed table and the current one, in the
    order of the filed table's rows and columns (rows and columns only one of them has come
    after, in the other's order)."""
    filed_rows, filed_columns = _cells(filed)
    current_rows, current_columns = _cells(current)
    row_ids = list(filed_rows) + [r for r in current_rows if r not in filed_rows]
    columns = filed_columns | {k: c for k, c in current_columns.items() if k not in filed_columns}
    found = []
    for row_id in row_ids:
        before = filed_rows.get(row_id)
        after = current_rows.get(row_id)
        name = (after or before or {"name": ""})["name"]
        for key, column in columns.items():
            old = before["values"].get(key) if before else None
            new = after["values"].get(key) if after else None
            if old != new:
                found.append(
                    Change(
                        row_key=row_id.split(":", 1)[1],
                        row_name=name,
                        column_key=key,
                        column_name=column["name"],
                        measure=column["measure"],
                        filed=old,
                        current=new,
                    )
                )
    return found
