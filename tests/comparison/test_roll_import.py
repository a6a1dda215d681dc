"""Importing a payment roll: all rows or none, every bad row named; hostile files refused
before they cost time or memory, as the ledger import refuses them."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.comparison_data import ROLL_HEADER, card_number, id_number, to_csv
from campaign.comparison.protection import KeyFile
from campaign.comparison.rolls import import_roll
from campaign.comparison.sheets import FileRefused, ListRefused
from campaign.models import PaymentRoll, RollRow
from core.errors import Conflict, InvalidInput, NotFound
from tests.reports.sheets import MAIN_NS, empty_rows, handmade, sheet_xml

ID_1 = id_number(1, date(1960, 3, 4))
ID_2 = id_number(2, date(1975, 8, 9))


def row(**changes: Any) -> list[Any]:
    values = {
        "姓名": "张三",
        "身份证号": ID_1,
        "村": "青山村",
        "开户银行": "湖北农信",
        "卡号或账号": card_number(1),
        "金额": "500.00",
        "发放日期": "2022-06-15",
        "项目": "P01",
    }
    values.update(changes)
    return [values[name] for name in ROLL_HEADER]


def imported(session: Session, key_file: KeyFile, source: Any, **options: str) -> Any:
    return import_roll(
        session,
        key_file,
        source,
        programme_code=options.get("programme", "P01"),
        period=options.get("period", "2022-06"),
        file_name="名册.csv",
        actor_name="tests",
    )


def rows_stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RollRow)) or 0


def xlsx(rows: list[list[Any]], header: list[str] = ROLL_HEADER) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def test_a_good_roll_goes_in_from_csv_and_from_excel(
    db_session: Session, key_file: KeyFile
) -> None:
    done = imported(
        db_session, key_file, io.BytesIO(to_csv(ROLL_HEADER, [row(), row(身份证号=ID_2)]))
    )
    assert (done.rows, done.amount_fen) == (2, 100_000)
    book = xlsx([row(金额=1200.5, 发放日期=date(2022, 6, 20)), row(身份证号=ID_2.lower())])
    again = imported(db_session, key_file, book, period="2022-07")
    assert again.rows == 2
    stored = db_session.scalars(select(RollRow).where(RollRow.roll_id == again.roll_id)).all()
    assert [(r.amount_fen, r.paid_on, r.row_no) for r in stored] == [
        (120_050, date(2022, 6, 20), 2),
        (50_000, date(2022, 6, 15), 3),
    ]
    assert stored[0].birth_ymd == 19600304 and stored[0].card_last4 == card_number(1)[-4:]


def test_gbk_csv_as_excel_saves_it_is_read(db_session: Session, key_file: KeyFile) -> None:
    text = to_csv(ROLL_HEADER, [row()]).decode("utf-8").encode("gb18030")
    assert imported(db_session, key_file, io.BytesIO(text)).rows == 1


def test_every_bad_row_is_named_and_nothing_is_stored(
    db_session: Session, key_file: KeyFile
) -> None:
    bad = [
        row(),
        row(身份证号=ID_1[:17] + ("0" if ID_1[17] != "0" else "1")),  # wrong check digit
        row(村="不存在村", 金额="-5"),
        row(卡号或账号="12ab", 发放日期="六月"),
        row(项目="P02"),
        row(姓名=""),
        row(姓名='=HYPERLINK("http://example.invalid")'),
    ]
    with pytest.raises(ListRefused) as refused:
        imported(db_session, key_file, io.BytesIO(to_csv(ROLL_HEADER, bad)))
    named = {(e.row, e.column) for e in refused.value.errors}
    assert named == {
        (3, "身份证号"),
        (4, "村"),
        (4, "金额"),
        (5, "卡号或账号"),
        (5, "发放日期"),
        (6, "项目"),
        (7, "姓名"),
        (8, "姓名"),
    }
    assert "共 8 处错误" in str(refused.value)
    assert rows_stored(db_session) == 0
    assert db_session.scalar(select(func.count()).select_from(PaymentRoll)) == 0


def test_a_missing_or_doubled_column_is_named(db_session: Session, key_file: KeyFile) -> None:
    header = [h for h in ROLL_HEADER if h != "金额"] + ["发放日期"]
    with pytest.raises(ListRefused) as refused:
        imported(db_session, key_file, io.BytesIO(to_csv(header, [])))
    assert {(e.row, e.column) for e in refused.value.errors} == {(1, "金额"), (1, "发放日期")}


def test_the_same_file_twice_is_refused(db_session: Session, key_file: KeyFile) -> None:
    body = to_csv(ROLL_HEADER, [row()])
    imported(db_session, key_file, io.BytesIO(body))
    with pytest.raises(Conflict, match="已在本活动导入过"):
        imported(db_session, key_file, io.BytesIO(body))


def test_programme_and_period_are_checked(db_session: Session, key_file: KeyFile) -> None:
    body = io.BytesIO(to_csv(ROLL_HEADER, [row()]))
    with pytest.raises(NotFound, match="P99"):
        imported(db_session, key_file, body, programme="P99")
    with pytest.raises(InvalidInput, match="YYYY-MM"):
        imported(db_session, key_file, body, period="2022-13")


def test_an_id_typed_as_a_number_in_excel_is_refused(
    db_session: Session, key_file: KeyFile
) -> None:
    with pytest.raises(ListRefused) as refused:
        imported(db_session, key_file, xlsx([row(身份证号=int(ID_1[:15]) * 1000.0)]))
    assert "文本格式" in refused.value.errors[0].reason


def test_a_formula_cell_is_refused(db_session: Session, key_file: KeyFile) -> None:
    book = xlsx([row(金额="=100*5")])  # openpyxl writes text beginning with = as a formula
    with pytest.raises(ListRefused) as refused:
        imported(db_session, key_file, book)
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "金额")]
    assert "公式" in refused.value.errors[0].reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("姓名,身份证号\n".encode("utf-16"), "UTF-16"),
        (b"\x00\x01\x02binary", "UTF-16|二进制"),
        (b"", "空"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "旧版 Excel"),
        (b"PK\x03\x04" + b"\0" * 100, "已损坏"),
    ],
)
def test_hostile_files_are_refused(
    db_session: Session, key_file: KeyFile, body: bytes, reason: str
) -> None:
    with pytest.raises(FileRefused, match=reason):
        imported(db_session, key_file, io.BytesIO(body))


def test_a_wrongly_encoded_line_far_down_is_refused(db_session: Session, key_file: KeyFile) -> None:
    good = to_csv(
        ROLL_HEADER, [row(身份证号=id_number(n, date(1970, 1, 1))) for n in range(1, 3000)]
    )
    body = good + "李四,".encode() + b"\xff\xfe\xfa\n"
    with pytest.raises(FileRefused, match="无法识别的字符"):
        imported(db_session, key_file, io.BytesIO(body))
    assert rows_stored(db_session) == 0


def test_a_million_empty_rows_are_never_iterated(db_session: Session, key_file: KeyFile) -> None:
    header = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(ROLL_HEADER)
    )
    flood = handmade(sheet_xml([f'<row r="1">{header}</row>', *empty_rows(2, 1_000_001)]))
    with pytest.raises(FileRefused, match="没有数据行"):
        imported(db_session, key_file, flood)
    csv_flood = io.BytesIO(to_csv(ROLL_HEADER, []) + b",,,,,,,\n" * 200_000 + b"\n" * 200_000)
    with pytest.raises(FileRefused, match="没有数据行"):
        imported(db_session, key_file, csv_flood)


def test_a_doctype_in_the_sheet_is_refused(db_session: Session, key_file: KeyFile) -> None:
    entity = (
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]>'
        + f'<worksheet xmlns="{MAIN_NS}"><sheetData/></worksheet>'.encode()
    )
    with pytest.raises(FileRefused, match="DOCTYPE"):
        imported(db_session, key_file, handmade([entity]))
