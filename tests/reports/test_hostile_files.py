"""Files nobody should upload, refused with a clear reason before they cost time or memory;
and text that must never become a formula in anything we write."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import reports
from campaign.ledger_import import LedgerFileRefused, import_ledger
from campaign.models import Problem
from campaign.workflow_host import CampaignHost
from forms.ledger_excel import COLUMNS, SpreadsheetRefused, read_ledger
from forms.tables import write_attachment2
from tests.reports.conftest import ENTRIES, register_all, user, xlsx_bytes
from tests.reports.sheets import (
    CONTENT_TYPES,
    MAIN_NS,
    empty_rows,
    good_row,
    handmade,
    header_xml,
    records,
    sheet_xml,
    workbook,
)

HOSTILE_TEXTS = [
    '=HYPERLINK("http://example.invalid","点我查看")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "#N/A",
    "=1+1",
]


def refused(source: object, match: str) -> None:
    with pytest.raises(SpreadsheetRefused, match=match):
        read_ledger(source)  # type: ignore[arg-type]


def test_a_file_that_is_not_an_xlsx() -> None:
    refused(io.BytesIO("问题来源,乡镇（单位）\n".encode()), "不是 Excel 工作簿")
    refused(io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512), "旧版 Excel")
    refused(io.BytesIO(b"PK\x03\x04" + b"\0" * 100), "已损坏")
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    refused(plain_zip, "不是 Excel 工作簿")


def test_a_zip_bomb_is_refused_from_its_directory() -> None:
    bomb = handmade([b"<" + b" " * (32 * 1024 * 1024) + b"/>"])  # 32 MB of spaces
    assert zipfile.ZipFile(bomb).getinfo("xl/worksheets/sheet1.xml").compress_size < 100_000
    refused(bomb, "压缩炸弹")


def test_a_file_over_50_mb_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.xlsx"
    with open(big, "wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(50 * 1024 * 1024 + 1)  # sparse: no 50 MB written
    refused(big, "超过 50 MB")


def test_a_million_empty_rows_are_never_iterated() -> None:
    only_header = handmade(sheet_xml([header_xml(), *empty_rows(2, 1_000_001)]))
    assert read_ledger(only_header).rows == []
    data = '<row r="2"><c r="A2" t="inlineStr"><is><t>自查自纠</t></is></c></row>'
    some_rows = handmade(sheet_xml([header_xml(), data, *empty_rows(3, 1_000_001)]))
    assert [number for number, _ in read_ledger(some_rows).rows] == [2]
    far_down = '<row r="300000"><c r="A300000"><v>1</v></c></row>'
    refused(handmade(sheet_xml([header_xml(), far_down])), "超过 200000 行")


def test_a_million_empty_rows_are_a_clear_refusal_on_import(
    db_session: Session, host: CampaignHost
) -> None:
    only_header = handmade(sheet_xml([header_xml(), *empty_rows(2, 1_000_001)]))
    with pytest.raises(LedgerFileRefused, match="没有数据行"):
        import_ledger(db_session, host, user(db_session, "ldxz_ban"), only_header)


def test_malformed_spreadsheets() -> None:
    refused(handmade(sheet_xml(['<row r="1"><c r="A1" t="inlineStr"><is><t>x'])), "已损坏")
    entity = (
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]>'
        + f'<worksheet xmlns="{MAIN_NS}"><sheetData/></worksheet>'.encode()
    )
    refused(handmade([entity]), "DOCTYPE")
    no_sheet = io.BytesIO()
    with zipfile.ZipFile(no_sheet, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN_NS}"/>')
        archive.writestr("xl/_rels/workbook.xml.rels", "<Relationships/>")
    refused(no_sheet, "找不到名为“问题台账”的工作表")


def test_a_sheet_as_excel_saves_it_reads_back(db_session: Session) -> None:
    # Shared strings, a <dimension> and dates styled as dates: the usual Excel file.
    sheet = read_ledger(workbook([good_row(), good_row(**{"问题描述": "第二条"})]))
    description, discovered = COLUMNS.index("问题描述"), COLUMNS.index("发现日期")
    assert [values[description] for _, values in sheet.rows] == [
        "村会计截留耕地地力保护补贴",
        "第二条",
    ]
    assert sheet.rows[0][1][discovered].date().isoformat() == "2022-06-10"


def test_text_never_becomes_a_formula_and_survives_a_round_trip(
    db_session: Session, host: CampaignHost
) -> None:
    entries = [e for e in ENTRIES[:1]] * len(HOSTILE_TEXTS)
    registered = register_all(db_session, host, entries)
    for problem, text in zip(registered, HOSTILE_TEXTS, strict=True):
        problem.description = text
        problem.responsible_person = text
    db_session.flush()
    scope = reports.report_scope(db_session, unit_code="QSZ")
    data = xlsx_bytes(lambda out: reports.export_ledger(db_session, scope, out))
    with zipfile.ZipFile(data) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    data.seek(0)
    sheet = openpyxl.load_workbook(data)["问题台账"]
    cells = [c for row in records(sheet) for c in (row["问题描述"], row["责任人"])]
    assert sorted({c.value for c in cells}) == sorted(HOSTILE_TEXTS)
    assert all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells if c.value[0] in "=+-@")
    data.seek(0)
    before = set(db_session.scalars(select(Problem.id)))
    result = import_ledger(db_session, host, user(db_session, "ldxz_ban"), data)
    assert result.ok, result.errors
    imported = db_session.scalars(select(Problem).where(Problem.id.not_in(before))).all()
    assert sorted(p.description for p in imported) == sorted(HOSTILE_TEXTS)


def test_names_in_the_statutory_tables_are_text_too(db_session: Session) -> None:
    table = reports.attachment2(db_session, reports.report_scope(db_session))
    rows = list(table.rows)
    rows[0] = type(rows[0])("programme", 1, "=cmd|' /C calc'!A0", "P01", rows[0].values)
    changed = type(table)("@恶意单位", table.period, table.columns, tuple(rows))
    sheet = openpyxl.load_workbook(xlsx_bytes(lambda out: write_attachment2(changed, out))).active
    assert (sheet["B5"].value, sheet["B5"].data_type) == ("=cmd|' /C calc'!A0", "s")
    assert sheet["A2"].value == "填表单位：@恶意单位"
