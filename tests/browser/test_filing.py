"""报送 in Chromium: the office files 附件2 for 青山镇 and today, downloads it as filed, and after
one more entry counts sees exactly which cells changed since, at desk width and on a 390 px
phone.

The live server is shared by the whole session: the scope is today's 青山镇 and the test reads
the figures it compares from the page, so entries other tests registered today do not matter."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from core import clock
from tests.browser.conftest import screenshot
from tests.browser.test_daily_work import OpenAs, inbox_row, register_problem, submit

pytestmark = pytest.mark.browser

EXACT = re.compile(r"（([\d,]+\.\d{2}) 元）")


def approve(reviewer: Page, number: str) -> None:
    """The reviewer approves the registration: from then on the entry counts."""
    row = inbox_row(reviewer, number)
    row.get_by_role("button", name="认领").click()
    expect(row).to_contain_text("已认领")
    row.get_by_role("link", name="办理").click()
    reviewer.get_by_label("审核结果").select_option(label="通过，落实整改")
    reviewer.get_by_label("整改责任单位").select_option(label="青山镇")
    reviewer.get_by_label("整改责任人").fill("张明")
    reviewer.get_by_label("整改类型").select_option(label="限期整改")
    reviewer.get_by_label("整改措施").fill("补发到户")
    deadline = reviewer.get_by_label("整改时限")
    later = date.fromisoformat(deadline.get_attribute("min") or "") + timedelta(days=30)
    deadline.fill(later.isoformat())
    submit(reviewer)
    expect(reviewer.get_by_role("status")).to_have_text("“审核登记，落实整改责任”已办理完毕")


def counted_entry(officer: Page, reviewer: Page, description: str, amount: str) -> None:
    approve(reviewer, register_problem(officer, description, amount))


def yuan(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def test_the_office_files_and_sees_what_changed_since(open_as: OpenAs, tmp_path: Path) -> None:
    officer, reviewer = open_as("qsz_jbr"), open_as("qsz_fzr")
    counted_entry(officer, reviewer, "报送测试：3户救助金延迟发放", "1800.00")

    office = open_as("ldxz_ban")
    # The campaign's calendar day (Beijing), the one the form's 发现日期 allowed: from 16:00
    # UTC on it is already tomorrow's date there.
    today = clock.local_now().date().isoformat()
    scope = f"/reports/?unit=QSZ&from={today}&to={today}"
    office.goto(re.sub(r"(https?://[^/]+).*", r"\1", office.url) + scope)
    filing = office.locator("#filing")
    expect(filing.get_by_role("heading", name="报送与留档")).to_be_visible()
    expect(filing.locator('.changes[data-table="attachment2"]')).to_contain_text("尚未报送过")

    # Filing needs the confirmation: the browser holds the form until it is ticked.
    filing.get_by_label("报送的表").select_option(label="附件2 问题统计表")
    filing.get_by_label("审核人").select_option(value="ldxz_fzr")
    filing.get_by_role("button", name="报送").click()
    expect(office.get_by_role("status")).to_have_count(0)
    filing.get_by_label(re.compile("已核对上表数字")).check()
    filing.get_by_role("button", name="报送").click()
    expect(office.get_by_role("status")).to_contain_text("已报送附件2 问题统计表（青山镇")
    block = office.locator('#filing .changes[data-table="attachment2"]')
    expect(block).to_contain_text("没有变化")

    listed = office.locator("table.filings tbody tr").first
    expect(listed).to_contain_text("附件2 问题统计表")
    expect(listed).to_contain_text("领导小组办公室负责人（示例）")
    with office.expect_download() as download:
        listed.get_by_role("link", name="下载 Excel").click()
    filed = Path(download.value.path()).read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(filed)).active
    printed = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "审核人：领导小组办公室负责人（示例）" in printed and "填表单位：青山镇" in printed

    counted_entry(officer, reviewer, "报送测试：2户救助金延迟发放", "1234.56")
    office.reload()
    block = office.locator('#filing .changes[data-table="attachment2"]')
    expect(block).to_contain_text("2 个单元格有变化")
    moved = block.locator("tbody tr").filter(has_text="发放不及时")
    expect(moved).to_have_count(2)  # the programme's row and 合计
    cells = moved.first.locator("td.num")
    before = yuan(EXACT.findall(cells.nth(0).inner_text())[0])
    after = yuan(EXACT.findall(cells.nth(1).inner_text())[0])
    assert after - before == Decimal("1234.56")
    expect(cells.nth(0)).to_have_attribute("title", re.compile(r"元$"))
    screenshot(office, "filing_desk")

    # The same page on a phone: the changes become cards, nothing wider than the screen.
    office.set_viewport_size({"width": 390, "height": 844})
    office.reload()
    block = office.locator('#filing .changes[data-table="attachment2"]')
    row = block.locator("tbody tr").filter(has_text="发放不及时").first
    expect(row).to_be_visible()
    expect(row.locator("td").nth(2)).to_contain_text("万元")
    box = row.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    form = office.locator("form.filing-form")
    form_box = form.bounding_box()
    assert form_box is not None and form_box["x"] + form_box["width"] <= 390
    listed_box = office.locator("table.filings tbody tr").first.bounding_box()
    assert listed_box is not None and listed_box["x"] + listed_box["width"] <= 390
    screenshot(office, "filing_phone")

    # The filed copy is still the same file after the ledger moved on.
    with office.expect_download() as again:
        office.locator("table.filings tbody tr").first.get_by_role(
            "link", name="下载 Excel"
        ).click()
    assert Path(again.value.path()).read_bytes() == filed
