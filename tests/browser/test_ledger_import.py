"""The ledger's Excel import in Chromium: the template comes down with its drop-downs, a filled
sheet goes up with progress and becomes entries, a bad sheet is refused row by row, and an
impatient double click imports (or registers) once."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.test_daily_work import OpenAs, fill_registration
from tests.reports.sheets import good_row, workbook

pytestmark = pytest.mark.browser


def ledger_rows(page: Page, text: str) -> int:
    """How many ledger entries the person sees whose description holds the text."""
    page.get_by_role("navigation").get_by_role("link", name="问题台账").click()
    page.get_by_placeholder("编号或问题描述").fill(text)
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("p.hint").filter(has_text="共")).to_be_visible()
    return page.locator("table.grid tbody tr").filter(has_text=text).count()


def posts_to(page: Page, path: str) -> list[str]:
    """The POST requests the page sends to a path from now on, as they are sent."""
    sent: list[str] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.url)
            if request.method == "POST" and request.url.split("?")[0].endswith(path)
            else None
        ),
    )
    return sent


def choose_sheet(page: Page, name: str, content: bytes) -> None:
    sheet = FilePayload(name=name, mimeType="application/octet-stream", buffer=content)
    page.get_by_label("Excel 文件").set_input_files(files=[sheet])


def open_import(page: Page) -> None:
    page.get_by_role("navigation").get_by_role("link", name="问题台账").click()
    page.get_by_role("link", name="从 Excel 导入").click()
    expect(page.get_by_role("heading", name="从 Excel 导入问题台账")).to_be_visible()


def test_the_template_downloads_with_the_units_villages(open_as: OpenAs) -> None:
    officer = open_as("qsz_jbr")
    open_import(officer)
    with officer.expect_download() as download:
        officer.get_by_role("link", name="导入模板").click()
    assert download.value.suggested_filename == "问题台账导入模板.xlsx"
    content = Path(download.value.path()).read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(content))["问题台账"]
    assert [cell.value for cell in sheet[1]][:3] == ["问题来源", "乡镇（单位）", "村（社区）"]
    assert sheet.data_validations.dataValidation, "the template carries drop-down lists"


def test_a_double_clicked_upload_imports_once(open_as: OpenAs) -> None:
    officer = open_as("qsz_jbr")
    marker = f"导入测试{secrets.token_hex(3)}"
    sheet = workbook(
        [good_row(问题描述=f"{marker}截留补贴"), good_row(问题描述=f"{marker}多收手续费")]
    )
    open_import(officer)
    choose_sheet(officer, "青山镇台账.xlsx", sheet.getvalue())
    sent = posts_to(officer, "/ledger/import")
    officer.get_by_role("button", name="上传并导入").dblclick()
    expect(officer.get_by_role("status")).to_contain_text("已导入 2 条问题")
    assert len(sent) == 1, "the second click sent the form again"
    assert ledger_rows(officer, marker) == 2


def test_a_bad_sheet_is_refused_row_by_row(open_as: OpenAs) -> None:
    officer = open_as("qsz_jbr")
    marker = f"拒绝测试{secrets.token_hex(3)}"
    rows = [
        good_row(问题描述=f"{marker}一"),
        good_row(问题描述=f"{marker}二", **{"涉及金额（元）": "一千元"}),
        good_row(问题描述=f"{marker}三", **{"村（社区）": "不存在村"}),
    ]
    buffer = io.BytesIO(workbook(rows).getvalue())
    open_import(officer)
    choose_sheet(officer, "台账.xlsx", buffer.getvalue())
    officer.get_by_role("button", name="上传并导入").click()
    expect(officer.get_by_role("heading", name="未导入")).to_contain_text("共 3 行")
    errors = officer.locator("table.grid tbody tr")
    expect(errors.filter(has_text="涉及金额（元）")).to_have_count(1)
    expect(errors.filter(has_text="村（社区）")).to_have_count(1)
    expect(errors.first).to_contain_text("3")  # the sheet's row number
    assert ledger_rows(officer, marker) == 0


def test_a_double_clicked_registration_registers_once(open_as: OpenAs) -> None:
    officer = open_as("qsz_jbr")
    marker = f"双击测试{secrets.token_hex(3)}"
    officer.get_by_role("navigation").get_by_role("link", name="问题台账").click()
    officer.get_by_role("link", name="登记问题").click()
    fill_registration(officer, f"{marker}新华村低保金延迟发放", "900.00")
    sent = posts_to(officer, "/problems/new")
    officer.get_by_role("button", name="登记并送审").dblclick()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("待审核")
    assert len(sent) == 1, "the second click sent the form again"
    assert ledger_rows(officer, marker) == 1
