"""The demo's statutory tables, right to the 元: what a new user sees first after `make run`.

Counted (reviewed): 2022-QSZ-0001 (耕地地力保护补贴 × 截留挪用 3,600.00 元; at rectification
3,600.00 追缴收回 and 3,600.00 返还发放), 2022-QSZ-0002 (困难群众救助资金 12,800.00 元; 12,800.00
返还发放), 2022-QSZ-0003 (残疾人两项补贴 × 违规代管 5 cards), 2022-QSZ-0005 (实际种粮农民一次性
补贴 2,150.50 元). Waiting for review, not counted: 2022-QSZ-0004 and 2022-BSZ-0001."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from campaign import reports
from core.db import Database
from forms.tables import write_attachment2, write_attachment3
from forms.tables.attachment3 import COLUMNS as ATTACHMENT3_COLUMNS
from tests.databases import fresh_demo_database
from tests.reports.conftest import as_decimal, xlsx_bytes


@pytest.fixture
def demo_database(tmp_path: Path) -> Iterator[Database]:
    with fresh_demo_database(tmp_path, data_dir=tmp_path) as database:
        yield database


def _row(sheet: openpyxl.worksheet.worksheet.Worksheet, name: str) -> list[object]:
    return next([c.value for c in r] for r in sheet.iter_rows() if r[1].value == name)


def test_the_demo_s_tables_are_right_to_the_yuan(demo_database: Database) -> None:
    with demo_database.transaction() as session:
        scope = reports.report_scope(session)
        table2 = reports.attachment2(session, scope)
        table3 = reports.attachment3(session, scope)
    a2 = openpyxl.load_workbook(xlsx_bytes(lambda out: write_attachment2(table2, out))).active
    keys = [c.key for c in table2.columns]
    total = dict(zip(keys, _row(a2, "合计")[2:], strict=True))
    assert as_decimal(total["S02"]) == Decimal("0.3600")  # 3,600.00 元 截留挪用
    assert as_decimal(total["S07"]) == Decimal("1.2800")  # 12,800.00 元
    assert as_decimal(total["S08"]) == Decimal("0.2151")  # 2,150.50 元, rounded once
    assert total["S12"] == 5  # cards, not money
    assert as_decimal(total["S06"]) == Decimal(0)  # 2022-QSZ-0004 waits for review
    assert as_decimal(total["S11"]) == Decimal(0)  # 2022-BSZ-0001 waits for review

    a3 = openpyxl.load_workbook(xlsx_bytes(lambda out: write_attachment3(table3, out))).active
    columns = [c.key for c in ATTACHMENT3_COLUMNS]
    summary = dict(zip(columns, _row(a3, "合计")[2:], strict=True))
    assert summary["cards_illegal"] == 5  # the same 5 cards as 附件2
    assert as_decimal(summary["recovered_fen"]) == Decimal("0.3600")  # 2022-QSZ-0001
    assert as_decimal(summary["returned_fen"]) == Decimal("1.6400")  # 3,600 + 12,800 元
    assert summary["clues"] == 0
