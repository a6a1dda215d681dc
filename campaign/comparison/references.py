"""Importing the reference lists the rolls are compared with, each all or nothing, each import
replacing the list it brings (the district sends the whole list every time):

- deceased (死亡人员): 身份证号, 死亡日期
- payroll (财政供养人员): 身份证号, 工作单位
- beneficiaries (其他项目享受对象): 身份证号, 项目, 村 (村 may be empty)
- standards (项目标准): 项目, then any of 每人标准金额, 计量单位 (人/亩), 最低年龄, 最高年龄,
  户类型 (campaign.comparison.household_types), 排除财政供养 (是/否); a programme not in the
  file keeps its standard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from campaign import audit
from campaign.comparison import keyring, sheets
from campaign.comparison.household_types import standard_types
from campaign.comparison.protection import KeyFile, Protector
from campaign.comparison.sheets import CellError, Errors, FileRefused, Villages
from campaign.current import active_campaign
from campaign.models import (
    Beneficiary,
    DeceasedPerson,
    EligibilityStandard,
    PayrollPerson,
    Programme,
)
from core.bulk import insert_rows
from core.errors import InvalidInput
from forms.ledger_excel import SpreadsheetRefused
from forms.tabular import open_table

LISTS = {
    "deceased": "死亡人员名单",
    "payroll": "财政供养人员名单",
    "beneficiaries": "其他项目享受对象名单",
    "standards": "项目发放标准",
}
_BATCH = 20_000

Parser = Callable[[Callable[[str], Any]], dict[str, Any]]


@dataclass(frozen=True)
class ListImported:
    kind: str
    rows: int


@dataclass(frozen=True)
class _Spec:
    model: Any
    required: tuple[str, ...]
    optional: tuple[str, ...]
    # column -> (field, check)
    checks: dict[str, tuple[str, Callable[[Any], Any]]]
    person: bool  # rows hold a 身份证号, one row per person (and programme)


def import_list(
    session: Session,
    key_file: KeyFile,
    kind: str,
    source: str | Path | IO[bytes],
    *,
    actor_name: str,
) -> ListImported:
    if kind not in LISTS:
        raise InvalidInput(f"没有名为 {kind} 的参照名单；可导入：{'、'.join(LISTS)}")
    protector = keyring.protector(session, key_file)
    spec = _spec(session, kind)
    with session.begin_nested():
        if kind != "standards":
            session.execute(delete(spec.model))
        rows = _store(session, spec, source, protector)
        audit.record(
            session,
            "comparison.reference_imported",
            actor_name=actor_name,
            target=f"reference:{kind}",
            rows=rows,
        )
        session.flush()
    return ListImported(kind, rows)


def _spec(session: Session, kind: str) -> _Spec:
    if kind == "deceased":
        return _Spec(
            DeceasedPerson,
            ("身份证号", "死亡日期"),
            (),
            {"死亡日期": ("died_on", sheets.day)},
            True,
        )
    if kind == "payroll":
        return _Spec(
            PayrollPerson,
            ("身份证号", "工作单位"),
            (),
            {"工作单位": ("employer", lambda v: sheets.text(v, longest=200))},
            True,
        )
    if kind == "beneficiaries":
        villages = Villages(session)
        return _Spec(
            Beneficiary,
            ("身份证号", "项目"),
            ("村",),
            {
                "项目": ("programme_code", lambda v: sheets.text(v, longest=32)),
                "村": ("village_id", lambda v: None if sheets.blank(v) else villages.find(v).id),
            },
            True,
        )
    programmes = _Programmes(session)
    return _Spec(
        EligibilityStandard,
        ("项目",),
        ("每人标准金额", "计量单位", "最低年龄", "最高年龄", "户类型", "排除财政供养"),
        {
            "项目": ("programme_id", programmes.find),
            "每人标准金额": ("amount_fen", lambda v: sheets.amount_fen(v, required=False)),
            "计量单位": ("unit", _unit),
            "最低年龄": ("min_age", lambda v: sheets.integer(v, 0, 150)),
            "最高年龄": ("max_age", lambda v: sheets.integer(v, 0, 150)),
            "户类型": ("household_type", _household_types),
            "排除财政供养": ("excludes_payroll", sheets.yes_no),
        },
        False,
    )


def _store(
    session: Session, spec: _Spec, source: str | Path | IO[bytes], protector: Protector
) -> int:
    errors = Errors()
    seen: dict[tuple[str, ...], int] = {}
    batch: list[dict[str, Any]] = []
    rows = 0
    try:
        with open_table(source) as table:
            columns = sheets.layout(table.header, spec.required, spec.optional)
            for number, cell in sheets.parsed_rows(table, columns):
                values = _values(number, cell, spec, errors, protector)
                if values is None:
                    continue
                identity = _identity(values, spec)
                if identity in seen:
                    errors.add(number, spec.required[0], f"与第 {seen[identity]} 行重复")
                    continue
                seen[identity] = number
                if errors.total:
                    continue
                rows += 1
                batch.append(values)
                if len(batch) >= _BATCH:
                    _flush(session, spec, batch)
                    batch = []
    except SpreadsheetRefused as refused:
        raise FileRefused(str(refused)) from None
    errors.refuse_if_any()
    if rows == 0:
        raise FileRefused("文件中没有数据行（第 1 行为表头，从第 2 行填起）")
    _flush(session, spec, batch)
    return rows


def _values(
    number: int,
    cell: Callable[[str], Any],
    spec: _Spec,
    errors: Errors,
    protector: Protector,
) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    ok = True
    if spec.person:
        try:
            values.update(sheets.protected_id(protector, sheets.id_number(cell("身份证号"))))
        except CellError as error:
            errors.add(number, "身份证号", str(error))
            ok = False
    for column, (field, check) in spec.checks.items():
        try:
            values[field] = check(cell(column))
        except CellError as error:
            errors.add(number, column, str(error))
            ok = False
    if ok and spec.model is EligibilityStandard:
        low, high = values.get("min_age"), values.get("max_age")
        if low is not None and high is not None and low > high:
            errors.add(number, "最低年龄", "不能大于最高年龄")
            ok = False
    return values if ok else None


def _identity(values: dict[str, Any], spec: _Spec) -> tuple[str, ...]:
    if spec.model is Beneficiary:
        return (values["id_hash"], values["programme_code"])
    if spec.person:
        return (values["id_hash"],)
    return (str(values["programme_id"]),)


def _flush(session: Session, spec: _Spec, batch: list[dict[str, Any]]) -> None:
    if spec.model is EligibilityStandard:
        ids = [v["programme_id"] for v in batch]
        session.execute(
            delete(EligibilityStandard).where(EligibilityStandard.programme_id.in_(ids))
        )
        for values in batch:
            values.setdefault("unit", "人")
            values["unit"] = values["unit"] or "人"
    insert_rows(session, spec.model, batch)


def _household_types(value: Any) -> str:
    try:
        return standard_types(sheets.text(value, required=False, longest=64))
    except ValueError as error:
        raise CellError(str(error)) from None


def _unit(value: Any) -> str:
    shown = sheets.text(value, required=False) or "人"
    if shown not in ("人", "亩"):
        raise CellError("须为“人”或“亩”")
    return shown


class _Programmes:
    def __init__(self, session: Session) -> None:
        campaign = active_campaign(session)
        self.found: dict[str, int] = {}
        for programme in session.scalars(
            select(Programme).where(Programme.campaign_id == campaign.id)
        ):
            self.found[programme.code] = programme.id
            self.found[programme.name] = programme.id

    def find(self, value: Any) -> int:
        given = sheets.text(value)
        found = self.found.get(given.upper()) or self.found.get(given)
        if found is None:
            raise CellError(f"没有代码或名称为“{given}”的补贴项目")
        return found
