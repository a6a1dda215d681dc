"""A list uploaded for import is read by one rule: a file named .xlsx is a workbook or is
refused as not one (whatever its bytes look like); otherwise its first bytes tell."""

from __future__ import annotations

import io
import os

import pytest

from forms.ledger_excel.archive import SpreadsheetRefused
from forms.tabular import open_table

DAMAGED = os.urandom(4096).replace(b"PK", b"pk")  # random bytes, NUL or not


@pytest.mark.parametrize("name", ["户.xlsx", "HOUSEHOLDS.XLSX", "名册.xlsm"])
@pytest.mark.parametrize("content", [DAMAGED, b"\0\0\0\0", "户主姓名,身份证号\n张三,1\n".encode()])
def test_a_file_named_as_a_workbook_that_is_not_one_gets_the_workbook_message(
    name: str, content: bytes
) -> None:
    with (
        pytest.raises(SpreadsheetRefused, match=r"不是 Excel 工作簿（\.xlsx）"),
        open_table(io.BytesIO(content), name=name),
    ):
        pass


def test_a_csv_is_still_read_by_its_bytes_whatever_its_name() -> None:
    for name in ("户.csv", "", "households"):
        with open_table(io.BytesIO("户主姓名,身份证号\n张三,1\n".encode()), name=name) as table:
            assert table.kind == "csv" and table.header == ["户主姓名", "身份证号"]
