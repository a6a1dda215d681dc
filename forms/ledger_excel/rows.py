"""Turning the sheet's rows into registrations: labels back to codes, Excel's numbers and
dates back to the register form's values, then the register form's own validation, so an
imported row obeys exactly the rules of a row typed into the web form. Every problem of
every row is collected; nothing stops at the first."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from core.days import NOT_A_DAY, NotADay, read_day
from forms import registry
from forms.definition import SubmissionInvalid
from forms.ledger_excel.columns import (
    AMOUNT,
    CARDS,
    CATEGORY,
    COLUMNS,
    DEADLINE,
    DESCRIPTION,
    DISCOVERED,
    FOCUS,
    HOUSEHOLDS,
    PERSONS,
    PROGRAMME,
    REQUIRED,
    RESPONSIBLE_PERSON,
    RESPONSIBLE_UNIT,
    SOURCE,
    UNIT,
    VILLAGE,
    LedgerChoices,
    Options,
    RowError,
)
from forms.ledger_excel.reader import Values, is_blank

FORM_KEY = "register_problem"
FIELD_COLUMNS = {
    "source": SOURCE,
    "village": VILLAGE,
    "programme": PROGRAMME,
    "focus_item": FOCUS,
    "stat_category": CATEGORY,
    "description": DESCRIPTION,
    "amount": AMOUNT,
    "cards": CARDS,
    "households": HOUSEHOLDS,
    "persons": PERSONS,
    "discovered_on": DISCOVERED,
}
PERSON_MAX = 64
_FOCUS_CODE = re.compile(r"(\d+\.\d+)(?:\s|$)")


@dataclass(frozen=True)
class CleanRow:
    row: int
    unit: str  # the code of the unit whose ledger gets the entry
    data: dict[str, Any]  # clean values of the register_problem form
    responsible_unit: str | None = None
    responsible_person: str = ""
    deadline: date | None = None


class _Invalid(ValueError):
    pass


class Lookup:
    """Finds a code by the code itself or by its label; a label shared by two entries is
    ambiguous and must be given as a code."""

    def __init__(self, options: Options, what: str, missing: str = "") -> None:
        self.what = what
        self.missing = missing or f"不是可选的{what}"
        self.keys: dict[str, str | None] = {}
        for code, _label in options:
            self.keys[_norm(code)] = code
        for code, label in options:
            key = _norm(label)
            if key in self.keys and self.keys[key] != code:
                self.keys[key] = None  # two entries share the label
            else:
                self.keys.setdefault(key, code)

    def find(self, value: Any) -> str:
        text = str(value)
        code = self.keys.get(text)  # a value written as the sheet writes it: no need to tidy
        if code is not None:
            return code
        key = _norm(text)
        if key not in self.keys:
            raise _Invalid(f"“{key}”{self.missing}")
        code = self.keys[key]
        if code is None:
            raise _Invalid(f"“{key}”对应多个{self.what}，请改填代码")
        return code


def _norm(text: str) -> str:
    return " ".join(text.replace("\u3000", " ").split())


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return read_day(value)
        except NotADay as refused:
            raise _Invalid(str(refused)) from None
    raise _Invalid(NOT_A_DAY)


def _money(value: Any) -> Any:
    """元 as the register form expects it: text with at most two decimals, never via a
    float's binary digits (a cell holding 1234.56 reads back as exactly "1234.56")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, (int, Decimal)):
        return str(value)
    return value


def _count(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return str(value)  # the form refuses it: not an integer
    return value


class RowParser:
    def __init__(self, choices: LedgerChoices, today: date) -> None:
        form = registry.get(FORM_KEY)
        assert form is not None, FORM_KEY
        self.form = form
        self.today = today
        self.choices = choices
        self.sources = Lookup(choices.sources, SOURCE)
        self.units = Lookup(choices.units, UNIT)
        self.programmes = Lookup(choices.programmes, PROGRAMME)
        self.categories = Lookup(choices.categories, CATEGORY)
        self.focus = Lookup(choices.focus_items, FOCUS)
        self.responsible = Lookup(choices.responsible_units, RESPONSIBLE_UNIT)
        self.unit_names = dict(choices.units)
        self._villages: dict[str, Lookup] = {}

    def villages(self, unit: str) -> Lookup:
        if unit not in self._villages:
            missing = f"不是{self.unit_names.get(unit, unit)}下属的村（社区）"
            self._villages[unit] = Lookup(self.choices.villages.get(unit, ()), VILLAGE, missing)
        return self._villages[unit]

    def parse(self, number: int, values: Values) -> tuple[CleanRow | None, list[RowError]]:
        cell = dict(zip(COLUMNS, values, strict=True))
        errors: dict[str, str] = {}
        for column in REQUIRED:
            if is_blank(cell[column]):
                errors[column] = "必填"

        def look(column: str, lookup: Lookup) -> str | None:
            if column in errors or is_blank(cell[column]):
                return None
            try:
                return lookup.find(_text(cell[column]))
            except _Invalid as exc:
                errors[column] = str(exc)
                return None

        unit = look(UNIT, self.units)
        if unit is not None and unit in self.choices.unit_refusals:
            errors[UNIT] = self.choices.unit_refusals[unit]
        data: dict[str, Any] = {
            "source": look(SOURCE, self.sources),
            "village": look(VILLAGE, self.villages(unit)) if unit else None,
            "programme": look(PROGRAMME, self.programmes),
            "stat_category": look(CATEGORY, self.categories),
            "focus_item": self._focus(cell[FOCUS], errors),
            "description": None if is_blank(cell[DESCRIPTION]) else _text(cell[DESCRIPTION]),
            "amount": _money(cell[AMOUNT]),
            "cards": _count(cell[CARDS]),
            "households": _count(cell[HOUSEHOLDS]),
            "persons": _count(cell[PERSONS]),
            "discovered_on": self._iso_date(cell, DISCOVERED, errors),
        }
        clean = self._validate(data, unit, errors)
        responsible = look(RESPONSIBLE_UNIT, self.responsible)
        person = "" if is_blank(cell[RESPONSIBLE_PERSON]) else _text(cell[RESPONSIBLE_PERSON])
        if len(person) > PERSON_MAX:
            errors[RESPONSIBLE_PERSON] = f"不能超过 {PERSON_MAX} 个字"
        deadline = self._deadline(cell, data.get("discovered_on"), errors)
        row_errors = [RowError(number, c, errors[c]) for c in COLUMNS if c in errors]
        if row_errors or clean is None or unit is None:
            return None, row_errors
        return CleanRow(number, unit, clean, responsible, person, deadline), []

    def _focus(self, value: Any, errors: dict[str, str]) -> str | None:
        if FOCUS in errors or is_blank(value):
            return None
        text = _text(value)
        match = _FOCUS_CODE.match(text)
        try:
            return self.focus.find(match.group(1) if match else text)
        except _Invalid as exc:
            errors[FOCUS] = str(exc)
            return None

    def _iso_date(self, cell: Mapping[str, Any], column: str, errors: dict[str, str]) -> Any:
        if column in errors or is_blank(cell[column]):
            return None
        try:
            return _date(cell[column]).isoformat()
        except _Invalid as exc:
            errors[column] = str(exc)
            return None

    def _validate(
        self, data: dict[str, Any], unit: str | None, errors: dict[str, str]
    ) -> dict[str, Any] | None:
        def provide(
            source: str, _: Mapping[str, Any], _wanted: str | None = None, /
        ) -> Sequence[tuple[str, str]]:
            if source == "villages":
                return self.choices.villages.get(unit or "", ())
            lists = {
                "programmes": self.choices.programmes,
                "focus_items": self.choices.focus_items,
                "stat_categories": self.choices.categories,
            }
            return lists[source]

        try:
            return self.form.validate(data, today=self.today, choices=provide)
        except SubmissionInvalid as invalid:
            for field, message in invalid.fields.items():
                column = FIELD_COLUMNS.get(field)
                if column is not None and column not in errors:
                    errors[column] = message.partition("：")[2] or message
            return None

    def _deadline(
        self, cell: Mapping[str, Any], discovered: str | None, errors: dict[str, str]
    ) -> date | None:
        text = self._iso_date(cell, DEADLINE, errors)
        if text is None:
            return None
        deadline = date.fromisoformat(text)
        if discovered and deadline < date.fromisoformat(discovered):
            errors[DEADLINE] = "整改时限不能早于发现日期"
        return deadline


def parse_rows(
    rows: Iterable[tuple[int, Values]], choices: LedgerChoices, *, today: date
) -> tuple[list[CleanRow], list[RowError]]:
    """Every row's registration, and every error of every row."""
    parser = RowParser(choices, today)
    clean: list[CleanRow] = []
    errors: list[RowError] = []
    for number, values in rows:
        row, row_errors = parser.parse(number, values)
        if row is not None:
            clean.append(row)
        errors.extend(row_errors)
    return clean, errors
