"""问责 and 回访 in Chromium: the office picks a township's overdue task as the ground of a
proposal at desk width (nothing picked comes back with the input kept), and the office's
pages for both, with the figures on 督办, fit a phone; axe finds nothing critical or
serious."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_accessibility import axe_violations, describe
from tests.browser.test_phone import PHONE, _fits, _log_in

pytestmark = pytest.mark.browser

GROUNDS = "月报和整改任务多次逾期，经催办仍不办理（浏览器测试）"


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


def test_the_office_proposes_a_decision_resting_on_an_overdue_task(
    live_server: str, page: Page
) -> None:
    _log_in(page, live_server, "ldxz_ban")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="问责").click()
    page.get_by_role("link", name="提出问责建议").click()
    _clean(page)
    page.locator("#pick-unit").select_option("QSZ")
    page.get_by_role("button", name="列出可选依据").click()
    items = page.locator('input[name="overdue_items"], input[name="returned_reports"]')
    if items.count() == 0:
        pytest.skip("青山镇 has nothing overdue or returned in the demo data today")
    page.locator("#f-conduct").select_option("inaction")
    page.locator("#f-measure").select_option("interview")
    page.locator("#f-grounds").fill(GROUNDS)
    page.get_by_role("button", name="提交审批").click()
    expect(page.get_by_role("alert").filter(has_text="请至少选择一项")).to_be_visible()
    expect(page.locator("#error-summary")).to_contain_text("请至少选择一项")
    expect(page.locator("#f-grounds")).to_have_value(GROUNDS)
    _clean(page)
    page.locator('input[name="overdue_items"], input[name="returned_reports"]').first.check()
    page.get_by_role("button", name="提交审批").click()
    expect(page.get_by_role("heading", name="问责 WZ-")).to_be_visible()
    expect(page.get_by_text("待审批")).to_be_visible()
    _clean(page)


def test_the_offices_accountability_and_evaluation_pages_fit_a_phone(
    live_server: str, phone: Page
) -> None:
    _log_in(phone, live_server, "ldxz_ban")
    for path, name in (
        ("/accountability", "accountability"),
        ("/accountability/new?unit=QSZ", "accountability_new"),
        ("/evaluations", "evaluations"),
        ("/inspections", "inspections_office"),
    ):
        phone.goto(live_server + path)
        _fits(phone, name)
    phone.goto(live_server + "/supervise/")
    expect(phone.get_by_role("heading", name="效果评估（回访、问卷）")).to_be_visible()
    expect(phone.get_by_role("heading", name="问责", exact=True)).to_be_visible()
