"""明察暗访 in Chromium: the office records a visit at desk width (a missing field comes back
with the input kept), registers what it found into a township's ledger from the task page,
sums it up, and reads the visit on a phone; every page fits 390 px and axe finds nothing
critical or serious."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from core import clock
from tests.browser.test_accessibility import axe_violations, describe
from tests.browser.test_phone import PHONE, _fits, _log_in

pytestmark = pytest.mark.browser

PLACES = "青山镇青山村 3 户（浏览器测试）"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


def _clean(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_the_office_records_a_visit_and_its_finding_and_reads_it_on_a_phone(
    live_server: str, page: Page, phone: Page
) -> None:
    _log_in(page, live_server, "ldxz_ban")
    menu = page.get_by_role("navigation", name="主菜单")
    menu.get_by_role("link", name="明察暗访").click()
    page.get_by_role("link", name="登记明察暗访").click()
    _clean(page)
    page.locator("#f-visited_on").fill(clock.local_now().date().isoformat())
    page.locator("#f-places").fill(PLACES)
    page.get_by_role("button", name="登记，下一步登记发现的问题").click()
    expect(page.get_by_role("alert").filter(has_text="暗访人员：必填")).to_be_visible()
    expect(page.locator("#error-summary")).to_contain_text("暗访人员：必填")
    expect(page.locator("#f-places")).to_have_value(PLACES)
    page.locator("#f-team").fill("区财金局 王某、李某")
    page.get_by_role("button", name="登记，下一步登记发现的问题").click()
    expect(page.get_by_role("heading", name="明察暗访 AF-")).to_be_visible()
    _clean(page)
    number = page.get_by_role("heading", name="明察暗访 AF-").inner_text().split()[-1]

    page.get_by_role("link", name="登记发现的问题").click()
    _clean(page)
    page.locator("#f-finding_decision").select_option("register")
    page.locator("#f-unit").select_option("QSZ")
    page.locator("#f-village").select_option("QSZ01")
    page.locator("#f-programme").select_option("P11")
    page.locator("#f-focus_item").select_option("3.3")
    page.locator("#f-stat_category").select_option("S02")
    page.locator("#f-description").fill("村会计代领农户耕地地力保护补贴未发放")
    page.locator("#f-amount").fill("800")
    page.get_by_role("button", name="提交").first.click()
    page.goto(live_server + "/inspections")
    page.get_by_role("link", name=number).click()
    expect(page.locator("#findings").get_by_role("link", name="-QSZ-")).to_be_visible()
    page.get_by_role("link", name="登记发现的问题").click()
    page.locator("#f-finding_decision").select_option("none")
    page.get_by_role("button", name="提交").first.click()
    page.goto(live_server + "/inspections")
    page.get_by_role("link", name=number).click()
    page.get_by_role("link", name="暗访情况小结").click()
    page.locator("#f-summary").fill("暗访 1 个村 3 户，发现问题 1 个，已登记台账")
    page.get_by_role("button", name="提交").first.click()

    _log_in(phone, live_server, "ldxz_ban")
    phone.goto(live_server + "/inspections")
    _fits(phone, "inspections")
    phone.get_by_role("link", name=number).click()
    expect(phone.get_by_text("已小结")).to_be_visible()
    _fits(phone, "inspection")
    phone.goto(live_server + "/inspections/new")
    _fits(phone, "inspection_new")
