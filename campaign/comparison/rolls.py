"""Importing a payment roll (发放名册) of one programme and period, all or nothing.

The file is read as a stream and each row is checked as it comes: while no row has been
refused the good rows are inserted in batches (core.bulk, COPY on PostgreSQL); from the first
refused row on, the rest are only checked, so that every bad row is named. Any refusal rolls
the savepoint back: nothing of the roll stays. A million rows never sit in memory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit
from campaign.comparison import keyring, sheets
from campaign.comparison.protection import KeyFile, Protector, birth_date
from campaign.comparison.run import checked_period, programme_by_code
from campaign.comparison.sheets import CellError, Errors, FileRefused, Villages
from campaign.models import PaymentRoll, Programme, RollRow
from core.bulk import insert_rows
from core.errors import Conflict
from forms.ledger_excel import SpreadsheetRefused
from forms.tabular import open_table

NAME, ID, VILLAGE, BANK, CARD, AMOUNT, PAID_ON, PROGRAMME = (
    "姓名",
    "身份证号",
    "村",
    "开户银行",
    "卡号或账号",
    "金额",
    "发放日期",
    "项目",
)
REQUIRED = (NAME, ID, VILLAGE, BANK, CARD, AMOUNT, PAID_ON)
OPTIONAL = (PROGRAMME,)
BATCH = 20_000


@dataclass(frozen=True)
class RollImported:
    roll_id: int
    rows: int
    amount_fen: int
    programme: str
    period: str


def import_roll(
    session: Session,
    key_file: KeyFile,
    source: str | Path | IO[bytes],
    *,
    programme_code: str,
    period: str,
    file_name: str,
    actor_name: str,
    progress: Callable[[int], None] = lambda rows: None,
) -> RollImported:
    """Import the roll; raises FileRefused, ListRefused (every bad row) or Conflict (the same
    file was imported before in the programme's campaign)."""
    programme = programme_by_code(session, programme_code)
    checked = checked_period(period)
    assert checked is not None
    digest = sheets.file_digest(source)
    imported = select(PaymentRoll.id).where(
        PaymentRoll.campaign_id == programme.campaign_id, PaymentRoll.file_sha256 == digest
    )
    if session.scalar(imported):
        raise Conflict("此文件已在本活动导入过（内容完全相同），未重复导入")
    protector = keyring.protector(session, key_file)
    villages = Villages(session)
    with session.begin_nested():
        roll = PaymentRoll(
            programme_id=programme.id,
            campaign_id=programme.campaign_id,
            period=checked,
            file_name=file_name[:200],
            file_sha256=digest,
            rows=0,
            amount_fen=0,
            imported_by=actor_name[:64],
        )
        session.add(roll)
        session.flush()
        rows, amount = _store_rows(
            session, source, file_name, roll, programme, protector, villages, progress
        )
        roll.rows, roll.amount_fen = rows, amount
        audit.record(
            session,
            "comparison.roll_imported",
            actor_name=actor_name,
            target=f"roll:{roll.id}",
            programme=programme.code,
            period=checked,
            rows=rows,
            sha256=digest,
        )
        session.flush()
    return RollImported(roll.id, rows, amount, programme.code, checked)


def _store_rows(
    session: Session,
    source: str | Path | IO[bytes],
    file_name: str,
    roll: PaymentRoll,
    programme: Programme,
    protector: Protector,
    villages: Villages,
    progress: Callable[[int], None],
) -> tuple[int, int]:
    errors = Errors()
    batch: list[dict[str, Any]] = []
    rows = amount = 0
    try:
        with open_table(source, name=file_name) as table:
            columns = sheets.layout(table.header, REQUIRED, OPTIONAL)
            for number, cell in sheets.parsed_rows(table, columns):
                values = _row(number, cell, programme, villages, errors, table.date1904)
                if values is None or errors.total:
                    continue
                rows += 1
                amount += values["amount_fen"]
                batch.append(_protected(values, protector, roll))
                if len(batch) >= BATCH:
                    insert_rows(session, RollRow, batch)
                    batch = []
                    progress(rows)
    except SpreadsheetRefused as refused:
        raise FileRefused(str(refused)) from None
    errors.refuse_if_any()
    if rows == 0:
        raise FileRefused("文件中没有数据行（第 1 行为表头，名册从第 2 行填起）")
    insert_rows(session, RollRow, batch)
    progress(rows)
    return rows, amount


def _row(
    number: int,
    cell: Callable[[str], Any],
    programme: Programme,
    villages: Villages,
    errors: Errors,
    date1904: bool,
) -> dict[str, Any] | None:
    values: dict[str, Any] = {"row_no": number}
    checks: list[tuple[str, str, Callable[[Any], Any]]] = [
        (NAME, "name", lambda v: sheets.text(v, longest=64)),
        (ID, "id_number", sheets.id_number),
        (VILLAGE, "village", villages.find),
        (BANK, "bank", sheets.text),
        (CARD, "card", sheets.card_number),
        (AMOUNT, "amount_fen", sheets.amount_fen),
        (PAID_ON, "paid_on", lambda v: sheets.day(v, date1904=date1904)),
        (PROGRAMME, "programme", lambda v: _programme(v, programme)),
    ]
    ok = True
    for column, key, check in checks:
        try:
            values[key] = check(cell(column))
        except CellError as error:
            errors.add(number, column, str(error))
            ok = False
    return values if ok else None


def _programme(value: Any, programme: Programme) -> None:
    given = sheets.text(value, required=False)
    if given and given.upper() != programme.code and given != programme.name:
        raise CellError(f"与导入时指定的项目（{programme.code} {programme.name}）不符")


def _protected(values: dict[str, Any], protector: Protector, roll: PaymentRoll) -> dict[str, Any]:
    number, card, village = values["id_number"], values["card"], values["village"]
    born = birth_date(number)
    assert born is not None  # id_number() refused any without one
    paid = values["paid_on"]
    return {
        "roll_id": roll.id,
        "row_no": values["row_no"],
        "programme_id": roll.programme_id,
        "period": roll.period,
        "township_id": village.parent_id,
        "village_id": village.id,
        "name": values["name"],
        "id_cipher": protector.encrypt(number),
        "id_hash": protector.digest(number),
        "birth_ymd": born.year * 10000 + born.month * 100 + born.day,
        "bank": values["bank"],
        "card_cipher": protector.encrypt(card),
        "card_hash": protector.digest(card),
        "card_last4": card[-4:],
        "amount_fen": values["amount_fen"],
        "paid_on": paid,
        "paid_ymd": paid.year * 10000 + paid.month * 100 + paid.day,
    }
