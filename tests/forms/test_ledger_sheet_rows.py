"""The download's rows, written as sheet XML by hand, read back as written: by openpyxl (as
Excel would open them) and by the import's reader, whatever the text holds."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.ledger_excel import COLUMNS, LedgerChoices, LedgerRow, read_ledger, write_ledger
from forms.ledger_excel.columns import LEDGER_COLUMNS
from forms.tables.style import clean_text

NON_CHARACTERS = re.compile("[\ud800-\udfff\ufffe\uffff]")
NO_CHOICES = LedgerChoices((), (), (), (), (), ())
TRICKY = [
    "  前后有空格  ",
    "第一行\r\n第二行\n第三行",
    "<b>粗体</b> & 'quotes' \"双引号\"",
    "]]><!-- 不是注释 -->",
    "控制字符\x01\x08\x0b去掉",
    "非字符\ufffe\uffff去掉",
    "=1+1",
    "#DIV/0!",
    "𠀀 扩展汉字与 emoji 🙂",
]


def row(text: str, **changes: object) -> LedgerRow:
    values: dict[str, object] = {
        "source": "自查自纠",
        "unit": "青山镇",
        "village": "",
        "programme": "耕地地力保护补贴",
        "category": "截留挪用",
        "focus_item": "3.3 贪污侵占、截留挪用补贴资金",
        "description": text,
        "amount_fen": 123456,
        "cards": 0,
        "households": 3,
        "discovered_on": date(2022, 6, 10),
        "responsible_person": text,
        "number": "2022-QSZ-0001",
        "measures": text,
        "status": "已作废：" + text,
        "recovered_fen": 5,
        "returned_fen": 100000000001,
        "closed_on": date(2022, 12, 31),
    }
    values.update(changes)
    return LedgerRow(**values)  # type: ignore[arg-type]


def written(rows: list[LedgerRow]) -> io.BytesIO:
    buffer = io.BytesIO()
    assert write_ledger(rows, NO_CHOICES, buffer) == len(rows)
    buffer.seek(0)
    return buffer


def expected(text: str) -> str:
    """What survives: no control characters, no XML non-characters."""
    return NON_CHARACTERS.sub("", clean_text(text))


def test_text_numbers_and_dates_read_back_as_written() -> None:
    data = written([row(text) for text in TRICKY])
    sheet = openpyxl.load_workbook(data)["问题台账"]
    header = [c.value for c in sheet[1]]
    assert header == list(LEDGER_COLUMNS)
    for number, text in enumerate(TRICKY, start=2):
        cells = dict(zip(header, sheet[number], strict=True))
        for column in ("问题描述", "责任人", "整改措施"):
            assert cells[column].value == expected(text), column
            assert cells[column].data_type == "s"
        assert cells["状态"].value == "已作废：" + expected(text)
        assert cells["村（社区）"].value is None  # empty text: no cell
        assert cells["涉及金额（元）"].value == 1234.56
        assert cells["追缴收回资金（元）"].value == 0.05
        assert cells["返还发放资金（元）"].value == 1000000000.01
        assert cells["发现日期"].value == datetime(2022, 6, 10)
        assert cells["销号日期"].value == datetime(2022, 12, 31)
        assert cells["整改完成日期"].value is None
    assert sheet["H2"].quotePrefix is False and sheet.cell(8, 8).quotePrefix is True  # =1+1

    data.seek(0)
    read = read_ledger(data)
    description = COLUMNS.index("问题描述")
    assert [values[description] for _, values in read.rows] == [expected(t) for t in TRICKY]


@settings(max_examples=40, deadline=None)
@given(st.text(st.characters(blacklist_categories=()), max_size=60))
def test_any_text_survives_the_sheet(text: str) -> None:
    data = written([row(text)])
    sheet = openpyxl.load_workbook(data)["问题台账"]
    cell = sheet["H2"]  # 问题描述
    assert (cell.value or "") == expected(text)


def test_an_empty_download_is_the_header_alone() -> None:
    sheet = openpyxl.load_workbook(written([]))["问题台账"]
    assert sheet.max_row == 1 and [c.value for c in sheet[1]] == list(LEDGER_COLUMNS)
