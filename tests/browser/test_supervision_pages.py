"""专项督办 in Chromium: the office issues an order at desk width (a missing deadline comes back
with every input kept), finds it from the figures on 督办, and the township's officer answers
it on a phone; every page fits 390 px and axe finds nothing critical or serious."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from core import clock
from tests.browser.test_accessibility import axe_violations, describe
from tests.browser.test_phone import PHONE, _fits, _log_in, _on_screen

pytestmark = pytest.mark.browser

SUMMARY = "媒体报道青山镇有农户的耕地地力保护补贴被代领，请核查处理并反馈（浏览器测试）"


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


def test_the_office_issues_an_order_and_the_township_answers_it_on_a_phone(
    live_server: str, page: Page, phone: Page
) -> None:
    _log_in(page, live_server, "ldxz_ban")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="专项督办").click()
    expect(page.get_by_role("heading", name="专项督办")).to_be_visible()
    page.get_by_role("link", name="下发督办单").click()
    expect(page.get_by_role("heading", name="下发督办单")).to_be_visible()
    _clean(page)
    page.locator("#f-source").select_option(label="媒体曝光")
    page.get_by_label("批示件号或报道出处").fill("某报 6 月 10 日报道")
    page.locator("#f-summary").fill(SUMMARY)
    page.locator('input[name="units"][value="QSZ"]').check()
    page.get_by_role("button", name="下发").click()
    expect(page.get_by_role("alert").filter(has_text="办理期限：必填")).to_be_visible()
    expect(page.locator("#error-summary")).to_contain_text("办理期限：必填")
    expect(page.locator("#f-summary")).to_have_value(SUMMARY)
    expect(page.locator('input[name="units"][value="QSZ"]')).to_be_checked()
    expect(page.get_by_label("批示件号或报道出处")).to_have_value("某报 6 月 10 日报道")
    _clean(page)
    deadline = (clock.local_now().date() + timedelta(days=10)).isoformat()
    page.locator("#f-deadline").fill(deadline)
    page.get_by_role("button", name="下发").click()
    expect(page.get_by_role("heading", name="督办单 DB-")).to_be_visible()
    expect(page.get_by_text("待反馈")).to_be_visible()
    _clean(page)
    number = page.get_by_role("heading", name="督办单 DB-").inner_text().split()[-1]

    menu = page.get_by_role("navigation", name="主菜单")
    menu.get_by_role("link", name="督办", exact=True).click()
    figures = page.locator("#orders")
    figures.get_by_role("row", name="媒体曝光").get_by_role("link").first.click()
    expect(page.get_by_role("link", name=number).first).to_be_visible()
    _clean(page)

    _log_in(phone, live_server, "qsz_jbr")
    phone.goto(live_server + "/supervision")
    _fits(phone, "supervision_list")
    phone.get_by_role("link", name=number).first.click()
    _fits(phone, "supervision_order")
    phone.get_by_role("link", name="办理并反馈").click()
    expect(phone.get_by_role("heading", name=f"督办单 {number}")).to_be_visible()
    _fits(phone, "supervision_feedback")
    phone.locator("#f-feedback").fill("已逐户核查，代领补贴已追回并发放到户。")
    phone.get_by_role("button", name="提交").first.click()
    phone.goto(live_server + "/supervision")
    expect(phone.locator("td", has_text="已反馈，待审核").first).to_be_visible()


def test_the_offices_supervision_pages_fit_a_phone(live_server: str, phone: Page) -> None:
    _log_in(phone, live_server, "ldxz_ban")
    phone.goto(live_server + "/supervision/new")
    _fits(phone, "supervision_new")
    phone.goto(live_server + "/supervision")
    _fits(phone, "supervision_office_list")
    phone.goto(live_server + "/supervise/#orders")
    expect(phone.get_by_role("heading", name="专项督办（领导批示、媒体曝光）")).to_be_visible()
    # The matrix of orders scrolls in its own box; the townships' table becomes cards, each
    # with its form to arrange a key check on screen.
    _fits(phone, "supervise")
    _on_screen(phone, phone.locator("#weak").get_by_role("button", name="安排检查").first)
