"""Reference data from an Excel sheet (or CSV): 补贴项目, 乡镇和村, 农户名单, all or nothing.

As the ledger import does: columns are found by their header, every row is checked, and one
bad row means nothing is stored; the refusal names every bad row and its column with the
reason (campaign.comparison.sheets.ListRefused). Rows are checked by the same services the
pages use (campaign.programmes, campaign.places, campaign.households), inside a savepoint that
any refusal rolls back. A file that cannot be read (not a table, a zip bomb, too many rows) is
refused as a whole (FileRefused). Each import adds rows; it never changes or removes what is
there (a row naming an existing code is refused: correct it on the page)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, places, programmes
from campaign.comparison import keyring, sheets
from campaign.comparison.household_types import LISTED
from campaign.comparison.protection import KeyFile
from campaign.comparison.sheets import CellError, Errors, FileRefused, Villages
from campaign.households import HouseholdInput, check, duplicate_reason
from campaign.models import Campaign, Household, User
from core.errors import AppError, InvalidInput, NotFound
from forms.ledger_excel import SpreadsheetRefused
from forms.tabular import Table, open_table

MAX_ROWS = 500_000  # a district's households; programmes and places are far fewer


@dataclass(frozen=True)
class Kind:
    key: str
    title: str  # the sheet's name and the template's file name
    required: tuple[str, ...]
    optional: tuple[str, ...]
    notes: dict[str, str]  # column → what to write in it (the template's 填写说明)


PROGRAMMES = Kind(
    "programmes",
    "补贴项目",
    ("项目代码", "项目名称", "级次"),
    ("上级项目代码",),
    {
        "项目代码": "1–32 位大写字母、数字或连字符，如 C03、X01-1；导入后不能更改",
        "项目名称": "如：市级困难群众临时救助补助资金",
        "级次": "中央、省级、市级或县级",
        "上级项目代码": "子项目填所属一级项目的代码（同一级次）；一级项目不填。可以是本表前面的行",
    },
)
PLACES = Kind(
    "places",
    "乡镇和村",
    ("类型", "代码", "名称"),
    ("所属乡镇代码",),
    {
        "类型": "乡镇 或 村（社区可填“村”或“社区”）",
        "代码": "2–32 位大写字母、数字或连字符，如 QSZ、QSZ06；出现在台账编号中，不能更改",
        "名称": "如：青山镇、石门村",
        "所属乡镇代码": "村必填：已有乡镇或本表中乡镇的代码；乡镇不填",
    },
)
HOUSEHOLDS = Kind(
    "households",
    "农户名单",
    ("村", "户编号", "户主姓名", "身份证号", "卡号"),
    ("联系电话", "家庭人口", "户类型"),
    {
        "村": "村代码或村名称（重名的村须填代码）",
        "户编号": "村内唯一，1–32 位字母、数字或连字符，如 QSZ01-013",
        "户主姓名": "户主姓名",
        "身份证号": "户主 18 位身份证号，请设为文本格式；导入后加密保存，页面只显示后 4 位",
        "卡号": "惠民惠农“一卡通”卡号或账号，8–32 位数字，请设为文本格式",
        "联系电话": "可不填",
        "家庭人口": "1–99 的整数，不填为 1",
        "户类型": f"{LISTED}之一；不填为未登记（数据比对的户类型规则不核对未登记的户）",
    },
)
KINDS = {k.key: k for k in (PROGRAMMES, PLACES, HOUSEHOLDS)}


def kind_of(key: str) -> Kind:
    if key not in KINDS:
        raise NotFound(f"没有这类基础数据：{key}")
    return KINDS[key]


@dataclass(frozen=True)
class Imported:
    kind: str
    rows: int


def write_template(kind: Kind) -> bytes:
    """The sheet to fill: the header row (required columns in bold), and 填写说明."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = kind.title
    columns = [*kind.required, *kind.optional]
    sheet.append(columns)
    for index, name in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=name in kind.required)
        sheet.column_dimensions[cell.column_letter].width = 24
        cell.number_format = "@"
    notes = book.create_sheet("填写说明")
    notes.append(["列", "是否必填", "填写说明"])
    for name in columns:
        notes.append([name, "必填" if name in kind.required else "选填", kind.notes[name]])
    notes.append([])
    notes.append(
        [
            "全部行都校验通过才会导入；有任何一行不合格，将列出每一行、每一列的问题，且不导入任何内容。"
        ]
    )
    notes.column_dimensions["C"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_sheet(
    session: Session,
    kind: Kind,
    source: str | Path | IO[bytes],
    *,
    campaign: Campaign,
    key_file: KeyFile,
    actor: User | None = None,
    actor_name: str = "",
    file_name: str = "",
) -> Imported:
    """Raises FileRefused (unreadable file) or ListRefused (every bad row); else all rows
    are added in the caller's transaction. `file_name`, as uploaded: one named .xlsx must be
    a workbook (forms.tabular)."""
    add = {
        "programmes": _programme_rows,
        "places": _place_rows,
        "households": _household_rows,
    }[kind.key]
    errors = Errors()
    with session.begin_nested():
        try:
            with open_table(source, max_rows=MAX_ROWS, name=file_name) as table:
                columns = sheets.layout(table.header, kind.required, kind.optional)
                rows = add(session, table, columns, errors, campaign, key_file, actor)
        except SpreadsheetRefused as refused:
            raise FileRefused(str(refused)) from None
        order = {name: index for index, name in enumerate((*kind.required, *kind.optional))}
        errors.listed.sort(key=lambda e: (e.row, order.get(e.column, -1)))
        errors.refuse_if_any()
        if rows == 0:
            raise FileRefused("文件中没有数据行（第 1 行为表头，从第 2 行填起）")
        audit.record(
            session,
            "reference.import",
            actor=actor,
            actor_name=actor_name or None,
            target=f"reference:{kind.key}",
            rows=rows,
        )
        session.flush()
    return Imported(kind.key, rows)


Cell = Callable[[str], Any]
Adder = Callable[..., int]


def _cells(
    table: Table, columns: dict[str, int], errors: Errors, names: tuple[str, ...]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row as {column: text}, a row with a refused cell named and skipped; blank rows
    are skipped silently."""
    for number, cell in sheets.parsed_rows(table, columns):
        values: dict[str, str] = {}
        ok = True
        for name in names:
            try:
                values[name] = sheets.text(cell(name), required=False, longest=200)
            except CellError as error:
                errors.add(number, name, str(error))
                ok = False
        if ok and any(values.values()):
            yield number, values


def _refuse(
    errors: Errors, number: int, error: AppError, columns: dict[str, str], default: str
) -> None:
    """A service's refusal as row errors: each field at fault under its column, a refusal
    of the whole row (a code that exists) under `default`."""
    fields = getattr(error, "fields", {}) or {}
    named = [(columns[f], reason) for f, reason in fields.items() if f in columns]
    if not named:
        named = [(default, str(error))]
    for column, reason in named:
        errors.add(number, column, reason)


def _programme_rows(
    session: Session,
    table: Table,
    columns: dict[str, int],
    errors: Errors,
    campaign: Campaign,
    key_file: KeyFile,
    actor: User | None,
) -> int:
    rows = list(_cells(table, columns, errors, (*PROGRAMMES.required, *PROGRAMMES.optional)))
    # Programmes before their sub-programmes, so a sub-programme may name one of this sheet.
    rows.sort(key=lambda row: bool(row[1].get("上级项目代码")))
    by_field = {"code": "项目代码", "name": "项目名称", "level": "级次", "parent": "上级项目代码"}
    for number, values in rows:
        try:
            with session.begin_nested():
                programmes.add_programme(
                    session,
                    campaign,
                    values["项目代码"],
                    values["项目名称"],
                    values["级次"],
                    values.get("上级项目代码", ""),
                    actor=actor,
                )
        except AppError as error:
            _refuse(errors, number, error, by_field, "项目代码")
    return len(rows)


def _place_kind(text: str) -> str:
    if text == "乡镇":
        return "township"
    if text in ("村", "社区", "村（社区）", "村(社区)"):
        return "village"
    raise InvalidInput("类型须为“乡镇”或“村”", fields={"kind": "须为“乡镇”或“村”"})


def _place_rows(
    session: Session,
    table: Table,
    columns: dict[str, int],
    errors: Errors,
    campaign: Campaign,
    key_file: KeyFile,
    actor: User | None,
) -> int:
    rows = list(_cells(table, columns, errors, (*PLACES.required, *PLACES.optional)))
    rows.sort(key=lambda row: row[1].get("类型") != "乡镇")  # townships first
    by_field = {"kind": "类型", "code": "代码", "name": "名称", "township": "所属乡镇代码"}
    for number, values in rows:
        try:
            with session.begin_nested():
                kind = _place_kind(values["类型"])
                if kind == "township":
                    if values.get("所属乡镇代码"):
                        raise InvalidInput(
                            "乡镇不填所属乡镇代码", fields={"township": "乡镇不填此列"}
                        )
                    places.add_township(session, values["代码"], values["名称"], actor=actor)
                else:
                    places.add_village(
                        session,
                        values["代码"],
                        values["名称"],
                        values.get("所属乡镇代码", ""),
                        actor=actor,
                    )
        except AppError as error:
            _refuse(errors, number, error, by_field, "代码")
    return len(rows)


def _numeric_loses_digits(value: Any) -> bool:
    """A number cell of 15 digits or more has lost its last digits in Excel already."""
    if isinstance(value, bool):
        return False
    return isinstance(value, float) or (isinstance(value, int) and abs(value) >= 10**15)


def _household_rows(
    session: Session,
    table: Table,
    columns: dict[str, int],
    errors: Errors,
    campaign: Campaign,
    key_file: KeyFile,
    actor: User | None,
) -> int:
    """Households in bulk: the villages, codes and heads' hashes read once, not per row."""
    protector = keyring.protector(session, key_file)
    villages = Villages(session)
    of_campaign = Household.campaign_id == campaign.id
    codes = set(
        session.execute(select(Household.village_id, Household.code).where(of_campaign)).tuples()
    )
    heads: dict[str, str] = {}
    for household in session.scalars(
        select(Household).where(
            of_campaign, Household.active.is_(True), Household.id_hash.is_not(None)
        )
    ):
        assert household.id_hash is not None
        heads[household.id_hash] = duplicate_reason(session, household)
    by_field = {
        "code": "户编号",
        "head_name": "户主姓名",
        "id_number": "身份证号",
        "card": "卡号",
        "phone": "联系电话",
        "members": "家庭人口",
        "household_type": "户类型",
    }
    rows = 0
    for number, cell in sheets.parsed_rows(table, columns):
        values: dict[str, str] = {}
        bad = False
        refused: set[str] = set()  # columns already named for this row
        for name in (*HOUSEHOLDS.required, *HOUSEHOLDS.optional):
            try:
                raw = cell(name)
                if name in ("身份证号", "卡号") and _numeric_loses_digits(raw):
                    raise CellError(f"{name}须以文本格式填写（数字格式会丢失末几位）")
                values[name] = sheets.text(raw, required=False, longest=200)
            except CellError as error:
                errors.add(number, name, str(error))
                refused.add(name)
                bad = True
        if not bad and not any(values.values()):
            continue
        rows += 1
        try:
            village = villages.find(values.get("村", ""))
        except CellError as error:
            errors.add(number, "村", str(error))
            bad = True
        try:
            clean = check(
                HouseholdInput(
                    values.get("户编号", ""),
                    values.get("户主姓名", ""),
                    values.get("身份证号", ""),
                    values.get("卡号", ""),
                    values.get("联系电话", ""),
                    values.get("家庭人口", ""),
                    values.get("户类型", ""),
                )
            )
        except InvalidInput as error:
            for field, reason in error.fields.items():
                if by_field[field] not in refused:
                    errors.add(number, by_field[field], reason)
            continue
        if bad:
            continue
        if not village.active:
            errors.add(number, "村", f"{village.name}已停用")
            continue
        if (village.id, clean.code) in codes:
            errors.add(number, "户编号", f"{village.name}已有户编号 {clean.code}（含本表前面的行）")
            continue
        digest = protector.digest(clean.id_number)
        if digest in heads:
            errors.add(number, "身份证号", heads[digest])
            continue
        codes.add((village.id, clean.code))
        heads[digest] = f"身份证号与本表第 {number} 行相同"
        if errors.total:
            continue  # only checking from the first refusal on
        session.add(
            Household(
                campaign_id=campaign.id,
                village_id=village.id,
                code=clean.code,
                head_name=clean.head_name,
                members=clean.members,
                household_type=clean.household_type,
                phone=clean.phone or None,
                id_cipher=protector.encrypt(clean.id_number),
                id_hash=digest,
                id_last4=clean.id_number[-4:],
                card_cipher=protector.encrypt(clean.card),
                card_hash=protector.digest(clean.card),
                card_last4=clean.card[-4:],
                active=True,
            )
        )
        if rows % 5000 == 0:
            session.flush()
    return rows
