"""What every list imported for 数据比对 shares: columns found by their header, cells turned
into values with a reason for each one refused, every bad row named, and the rule that a
list goes in whole or not at all (a savepoint around the insert: a refusal leaves nothing,
whoever catches it)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.comparison.protection import (
    Protector,
    card_problem,
    id_problem,
    normalise_card,
    normalise_id,
)
from campaign.models import Unit
from core.days import NOT_A_DAY, NotADay, read_day
from core.errors import ERRORS_LISTED, InvalidInput
from forms.ledger_excel import RowError
from forms.tabular import Formula, Table, blank

MAX_LISTED = ERRORS_LISTED  # bad rows named one by one; the count says how many more
MAX_TEXT = 100
MAX_AMOUNT_FEN = 10**11  # 十亿元: a larger payment to one person is a typing error
_FORMULA_STARTS = ("=", "+", "@")
_EXCEL_EPOCH = date(1899, 12, 30)
_LOOSE = str.maketrans({"(": "（", ")": "）", " ": None, "\u3000": None})


class FileRefused(InvalidInput):
    """The file cannot be read at all (not a table, hostile, wrongly encoded)."""


class ListRefused(InvalidInput):
    """Rows were refused: nothing was imported; `errors` names them (the first MAX_LISTED)."""

    def __init__(self, errors: list[RowError], total: int) -> None:
        self.errors = errors
        self.total = total
        more = f"（以下列出前 {len(errors)} 处）" if total > len(errors) else ""
        super().__init__(f"导入被拒绝：共 {total} 处错误，未导入任何数据{more}")


class CellError(ValueError):
    """The reason one cell is refused."""


@dataclass
class Errors:
    listed: list[RowError] = field(default_factory=list)
    total: int = 0

    def add(self, row: int, column: str, reason: str) -> None:
        self.total += 1
        if len(self.listed) < MAX_LISTED:
            self.listed.append(RowError(row, column, reason))

    def refuse_if_any(self) -> None:
        if self.total:
            raise ListRefused(self.listed, self.total)


def file_digest(source: str | Path | IO[bytes]) -> str:
    digest = hashlib.sha256()
    if isinstance(source, (str, Path)):
        with open(source, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()
    position = source.tell()
    while chunk := source.read(1 << 20):
        digest.update(chunk)
    source.seek(position)
    return digest.hexdigest()


def layout(header: Sequence[str], required: Sequence[str], optional: Sequence[str] = ()) -> dict:
    """{column name: index} for the columns named in the header; refuses a list without a
    required column or with one twice, naming each."""
    found: dict[str, list[int]] = {}
    for index, text in enumerate(header):
        name = text.strip()
        if name in (*required, *optional):
            found.setdefault(name, []).append(index)
    errors = Errors()
    for name in (*required, *optional):
        places = found.get(name, [])
        if len(places) > 1:
            errors.add(1, name, f"出现了 {len(places)} 次，请只保留一列")
        elif not places and name in required:
            near = [h for h in header if h.translate(_LOOSE) == name.translate(_LOOSE)]
            hint = f"；表头“{near[0]}”应改为“{name}”" if near else ""
            errors.add(1, name, f"缺少此列{hint}")
    if errors.total:
        raise ListRefused(errors.listed, errors.total)
    return {name: places[0] for name, places in found.items()}


RowParser = Callable[[int, Callable[[str], Any]], dict[str, Any]]


def parsed_rows(table: Table, columns: dict[str, int]) -> Iterator[tuple[int, Any]]:
    """(row number, cell getter) for each row; a getter refuses formula cells."""
    for number, values in table.rows:

        def cell(name: str, values: list[Any] = values) -> Any:
            index = columns.get(name)
            value = values[index] if index is not None and index < len(values) else None
            if isinstance(value, Formula):
                raise CellError("单元格含有公式，请粘贴为数值后再导入")
            if isinstance(value, str):
                value = value.strip()
                if value.startswith(_FORMULA_STARTS):
                    raise CellError("内容以 =、+ 或 @ 开头（公式），已拒绝")
            return value

        yield number, cell


# ---- cells --------------------------------------------------------------------------------


def text(value: Any, *, required: bool = True, longest: int = MAX_TEXT) -> str:
    if blank(value):
        if required:
            raise CellError("不能为空")
        return ""
    shown = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if len(shown) > longest:
        raise CellError(f"超过 {longest} 个字")
    return shown.strip()


def _number_text(value: Any, what: str) -> str:
    if blank(value):
        raise CellError("不能为空")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) or abs(value) >= 10**15:
            raise CellError(f"{what}须以文本格式填写（数字格式会丢失末几位）")
        return str(value)
    return str(value)


def id_number(value: Any) -> str:
    number = normalise_id(_number_text(value, "身份证号"))
    problem = id_problem(number)
    if problem:
        raise CellError(problem)
    return number


def card_number(value: Any) -> str:
    number = normalise_card(_number_text(value, "卡号或账号"))
    problem = card_problem(number)
    if problem:
        raise CellError(problem)
    return number


def amount_fen(value: Any, *, required: bool = True) -> int | None:
    if blank(value):
        if required:
            raise CellError("不能为空")
        return None
    raw = str(value).replace(",", "").replace("，", "").replace("元", "").strip()
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise CellError("须为金额（元），如 1200.50") from None
    if not amount.is_finite() or amount <= 0:
        raise CellError("须为大于 0 的金额")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise CellError("最多两位小数")
    if fen > MAX_AMOUNT_FEN:
        raise CellError("金额过大")
    return int(fen)


def day(value: Any, *, date1904: bool = False) -> date:
    if blank(value):
        raise CellError("不能为空")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and not math.isfinite(value):
        raise CellError(NOT_A_DAY)  # a cell of 1e999, inf or nan: no serial day
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        serial = int(value)
        if 1 <= serial <= 2958465:
            start = date(1904, 1, 1) if date1904 else _EXCEL_EPOCH
            return start + timedelta(days=serial)
    try:
        return read_day(str(value))
    except NotADay as refused:
        raise CellError(str(refused)) from None


def integer(value: Any, low: int, high: int) -> int | None:
    if blank(value):
        return None
    try:
        number = int(str(value).strip().removesuffix(".0"))
    except ValueError:
        raise CellError("须为整数") from None
    if not low <= number <= high:
        raise CellError(f"须在 {low} 至 {high} 之间")
    return number


def yes_no(value: Any) -> bool:
    if blank(value):
        return False
    shown = str(value).strip()
    if shown in ("是", "Y", "y", "1", "True", "true"):
        return True
    if shown in ("否", "N", "n", "0", "False", "false"):
        return False
    raise CellError("须为“是”或“否”")


# ---- places and people --------------------------------------------------------------------


class Villages:
    """A village by its code or its name (a name two villages share must be given as code)."""

    def __init__(self, session: Session) -> None:
        self.by_code: dict[str, Unit] = {}
        self.by_name: dict[str, list[Unit]] = {}
        for unit in session.scalars(select(Unit).where(Unit.kind == "village")):
            self.by_code[unit.code] = unit
            self.by_name.setdefault(unit.name, []).append(unit)

    def find(self, value: Any) -> Unit:
        name = text(value)
        if name.upper() in self.by_code:
            return self.by_code[name.upper()]
        found = self.by_name.get(name, [])
        if len(found) > 1:
            codes = "、".join(u.code for u in found)
            raise CellError(f"有 {len(found)} 个村叫“{name}”，请填村代码（{codes}）")
        if not found:
            raise CellError(f"没有名为“{name}”的村（社区）")
        return found[0]


def protected_id(protector: Protector, number: str) -> dict[str, str]:
    return {"id_cipher": protector.encrypt(number), "id_hash": protector.digest(number)}
