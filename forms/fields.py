"""Field types of declarative forms: each parses a submitted value or explains what is wrong.

Values arrive as strings (HTML forms) or JSON values (the API); each field returns the clean
value stored in task data: money as integer 分, dates as ISO strings."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from core.days import NOT_A_DAY, NotADay, read_day
from core.numbers import fits, whole

FIELD_TYPES = (
    "text",
    "textarea",
    "integer",
    "money",
    "date",
    "choice",
    "multichoice",
    "boolean",
    "files",
)
MAX_MONEY_FEN = 10**14  # one trillion 元: anything larger is a typing error
_MONEY = re.compile(r"^\d+(\.\d{1,2})?$")


class FieldError(ValueError):
    pass


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str
    required: bool = False
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    source: str = ""  # dynamic choices, named; the caller supplies them
    min: Any = None
    max: Any = None
    max_length: int = 2000
    required_if: Mapping[str, Any] = field(default_factory=dict)
    # A choice whose options follow an earlier field's value (the villages of the township
    # chosen): offered once that field has one, and fetched again when it changes.
    depends_on: str = ""
    # A number that may not exceed an earlier number field's value (违规代管的卡 are among the
    # cards found): the other field's name.
    not_above: str = ""

    def is_required(self, clean: Mapping[str, Any]) -> bool:
        """Required outright, or because an earlier field has the given (clean) value."""
        if self.required:
            return True
        if self.required_if:
            other = self.required_if.get("field", "")
            return bool(other) and clean.get(other) == self.required_if.get("equals")
        return False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "required": self.required,
        }
        for key in ("help", "source", "min", "max", "required_if", "depends_on", "not_above"):
            value = getattr(self, key)
            if value not in ("", None, {}):
                out[key] = value
        if self.choices:
            out["choices"] = [list(c) for c in self.choices]
        if self.type in ("text", "textarea"):
            out["max_length"] = self.max_length
        return out


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def parse_value(spec: Field, raw: Any, choices: Sequence[tuple[str, str]], today: date) -> Any:
    """The clean value of one non-empty field, or FieldError with the reason in Chinese."""
    parser = _PARSERS[spec.type]
    return parser(spec, raw, choices, today)


def _text(spec: Field, raw: Any, _c: Sequence[tuple[str, str]], _t: date) -> str:
    if not isinstance(raw, str):
        raise FieldError("须为文字")
    value = raw.strip()
    if len(value) > spec.max_length:
        raise FieldError(f"不能超过 {spec.max_length} 个字")
    return value


def _integer(spec: Field, raw: Any, _c: Sequence[tuple[str, str]], _t: date) -> int:
    if isinstance(raw, bool):
        raise FieldError("须为整数")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
        read = whole(raw, signed=True)
        if read is None:
            raise FieldError("数值过大")
        value = read
    else:
        raise FieldError("须为整数")
    if not fits(value):
        raise FieldError("数值过大")
    _bounds(spec, value, str(value))
    return value


def _money(spec: Field, raw: Any, _c: Sequence[tuple[str, str]], _t: date) -> int:
    """元 with at most two decimals, returned as exact integer 分 (never via float)."""
    text = str(raw).strip().replace(",", "") if isinstance(raw, (str, int)) else None
    if isinstance(raw, bool) or text is None:
        raise FieldError("须为金额（元），如 1200.50")
    if text.startswith("-"):
        raise FieldError("金额不能为负数")
    if not _MONEY.match(text):
        raise FieldError("须为金额（元），最多两位小数，如 1200.50")
    try:
        fen = int(Decimal(text) * 100)
    except InvalidOperation:
        raise FieldError("须为金额（元）") from None
    if fen > MAX_MONEY_FEN:
        raise FieldError("金额过大，请核对")
    _bounds(spec, fen, text + " 元")
    return fen


# Every date a form takes, whatever its own bounds: a deadline of 9999-12-31 would overflow
# the day after it (a timer's mark, a reminder's count) wherever one is worked out.
# Dates typed outside a form (a campaign's, a key check's 完成期限) are held to the same days.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2100, 12, 31)
DAY_OUT_OF_RANGE = f"须在 {EARLIEST_DAY} 至 {LATEST_DAY} 之间"


def in_calendar(day: date) -> bool:
    """Whether a day lies within the days any date typed may name."""
    return EARLIEST_DAY <= day <= LATEST_DAY


def _date(spec: Field, raw: Any, _c: Sequence[tuple[str, str]], today: date) -> str:
    if not isinstance(raw, str):
        raise FieldError(NOT_A_DAY)
    try:
        value = read_day(raw)
    except NotADay as refused:
        raise FieldError(str(refused)) from None
    low = today if spec.min == "today" else (date.fromisoformat(spec.min) if spec.min else None)
    high = today if spec.max == "today" else (date.fromisoformat(spec.max) if spec.max else None)
    if not in_calendar(value):
        raise FieldError(DAY_OUT_OF_RANGE)
    if low is not None and value < low:
        raise FieldError("不能早于今天" if spec.min == "today" else f"不能早于 {low}")
    if high is not None and value > high:
        raise FieldError("不能晚于今天" if spec.max == "today" else f"不能晚于 {high}")
    return value.isoformat()


def _choice(spec: Field, raw: Any, choices: Sequence[tuple[str, str]], _t: date) -> str:
    value = str(raw).strip() if isinstance(raw, (str, int)) else None
    # A scan, not a set of the codes made for each value: an import checks 500,000 choices.
    for code, _label in choices:
        if code == value:
            return value
    raise FieldError("不是可选的值")


def _multichoice(spec: Field, raw: Any, choices: Sequence[tuple[str, str]], _t: date) -> list[str]:
    values = raw if isinstance(raw, list) else [raw]
    allowed = {c[0] for c in choices}
    clean = [str(v).strip() for v in values if not is_empty(v)]
    if any(v not in allowed for v in clean):
        raise FieldError("含有不可选的值")
    return clean


def _boolean(spec: Field, raw: Any, _c: Sequence[tuple[str, str]], _t: date) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in {"1", "true", "on", "yes", "是"}:
        return True
    if isinstance(raw, str) and raw.strip().lower() in {"0", "false", "off", "no", "否"}:
        return False
    raise FieldError("须为是或否")


def _files(spec: Field, raw: Any, _c: Sequence[tuple[str, str]], _t: date) -> list[int]:
    values = raw if isinstance(raw, list) else [raw]
    try:
        return [int(v) for v in values if not is_empty(v)]
    except (TypeError, ValueError):
        raise FieldError("附件无效") from None


def _bounds(spec: Field, value: int, shown: str) -> None:
    if spec.min is not None and value < spec.min:
        raise FieldError(f"不能小于 {spec.min}")
    if spec.max is not None and value > spec.max:
        raise FieldError(f"不能大于 {spec.max}")


_PARSERS = {
    "text": _text,
    "textarea": _text,
    "integer": _integer,
    "money": _money,
    "date": _date,
    "choice": _choice,
    "multichoice": _multichoice,
    "boolean": _boolean,
    "files": _files,
}
