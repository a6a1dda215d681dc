"""重点抽查 in Chromium: 青山镇's officer opens the spot-check task, finds the sample listed
village by village, records one household's result (a card held by a cadre: a problem, so a
ledger entry) at desk width, another household's from a 390 px phone, and opens the printable
名单. Neither width scrolls sideways; axe finds nothing critical or serious.

The live server is shared by the session: only this test touches 青山镇's spot check."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DEMO_PASSWORD, screenshot
from tests.browser.test_daily_work import OpenAs
from tests.browser.test_phone import PHONE, _fits

pytestmark = pytest.mark.browser


def _open_task(page: Page, base: str) -> None:
    """The township's spot-check task, from 报送管理 (waiting for the scheduler)."""
    url = f"{base}/obligations/?obligation=spot_check&unit=QSZ"
    for _attempt in range(30):
        page.goto(url)
        link = page.locator("#overview tbody").get_by_role("link", name="重点抽查")
        if link.count():
            link.first.click()
            page.locator("#my-step a").click()
            expect(page.locator("#sample")).to_be_visible()
            return
        page.wait_for_timeout(1000)
    raise AssertionError("the spot-check report did not appear")


def _record(page: Page, *, problem: bool) -> None:
    page.get_by_label("入户情况").select_option(label="已入户核查")
    page.get_by_label("核查日期").fill("2022-06-14")
    holder = "由村组干部或他人代管" if problem else "由农户本人保管"
    page.get_by_label("“一卡通”保管情况").select_option(label=holder)
    page.get_by_label("到户金额与发放清单是否一致").select_option(label="一致")
    page.get_by_label("是否发现问题").select_option(label="发现问题" if problem else "未发现问题")
    if problem:
        page.get_by_label("补贴项目").select_option(label="耕地地力保护补贴")
        page.locator("#f-focus_item").select_option(index=1)
        page.locator("#f-stat_category").select_option(index=1)
        page.get_by_label("问题描述").fill("一卡通由村会计代管")
        page.get_by_label("涉及金额（元）").fill("600")


def submit(page: Page) -> None:
    page.get_by_role("button", name="登记核查结果").click()


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("用户名").fill("qsz_jbr")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    yield page
    context.close()


def test_the_township_records_its_sample_at_desk_and_on_a_phone(
    open_as: OpenAs, live_server: str, phone: Page
) -> None:
    officer = open_as("qsz_jbr")
    _open_task(officer, live_server)
    sample = officer.locator("#sample")
    expect(sample).to_contain_text("已登记 0 户")
    screenshot(officer, "spot_check_task")
    first = sample.locator("tr[data-household]").first
    code = first.get_attribute("data-household")
    first.get_by_role("link", name="登记结果").click()
    expect(officer.get_by_role("heading", name="登记抽查户核查结果")).to_be_visible()
    _record(officer, problem=True)
    officer.get_by_label("是否发现问题").select_option(label="未发现问题")
    submit(officer)
    # Refused (a card held by a cadre is a problem), with every input kept.
    expect(officer.locator(".field.has-error")).to_contain_text("应登记为发现问题")
    expect(officer.get_by_label("问题描述")).to_have_value("一卡通由村会计代管")
    officer.get_by_label("是否发现问题").select_option(label="发现问题")
    submit(officer)
    expect(officer.locator(".flash-success")).to_contain_text("已登记问题台账")
    row = officer.locator(f'tr[data-household="{code}"]')
    expect(row).to_contain_text("干部或他人代管")
    expect(row.get_by_role("link", name=re.compile(r"^\d{4}-QSZ-\d{4}$"))).to_be_visible()

    _open_task(phone, live_server)
    expect(phone.locator("#sample")).to_contain_text("已登记 1 户")
    _fits(phone, "spot_check_task")
    phone.locator("#sample").get_by_role("link", name="登记结果").first.click()
    _record(phone, problem=False)
    _fits(phone, "spot_check_household")
    submit(phone)
    expect(phone.locator(".flash-success")).to_contain_text("核查结果已登记")
    expect(phone.locator("#sample")).to_contain_text("已登记 2 户")
    _fits(phone, "spot_check_sample")

    # A mistake found afterwards is corrected, with its reason, not recorded again.
    phone.locator("#sample").get_by_role("link", name="查看或更正").last.click()
    phone.get_by_text("更正核查结果", exact=True).click()
    phone.get_by_label("入户情况").select_option(label="未能入户（外出、搬迁等）")
    phone.get_by_label("“一卡通”保管情况").select_option(label="请选择")
    phone.get_by_label("到户金额与发放清单是否一致").select_option(label="请选择")
    phone.get_by_label("核查情况说明").fill("户主外出务工，未能入户")
    phone.get_by_role("button", name="提交更正").click()
    expect(phone.locator('[data-field="correction_reason"]')).to_contain_text("请写明更正的原因")
    expect(phone.get_by_label("核查情况说明")).to_have_value("户主外出务工，未能入户")
    _fits(phone, "spot_check_correction_refused")
    phone.get_by_label("更正原因").fill("登记时误选为已入户")
    phone.get_by_role("button", name="提交更正").click()
    expect(phone.locator(".flash-success")).to_contain_text("核查结果已更正")
    expect(phone.locator("#corrected")).to_contain_text("登记时误选为已入户")
    _fits(phone, "spot_check_corrected")

    officer.goto(officer.url.split("#")[0])
    with officer.context.expect_page() as printed:
        officer.locator("#sample").get_by_role("link", name="打印名单").click()
    roster = printed.value
    expect(roster.get_by_role("heading", name="重点抽查名单").first).to_be_visible()
    expect(roster.locator("section.village").first).to_contain_text("农户签字")
