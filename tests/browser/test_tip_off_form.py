"""我要举报 at 390 px wide (a phone): a person with no account fills the form, is given the
query code, and reads the status with it; the page fits the screen and axe finds nothing
critical or serious. And the office's side: a phoned-in report typed, its code read out, the
phone masked until asked for."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.conftest import DEMO_PASSWORD
from tests.browser.test_accessibility import axe_violations, describe
from tests.browser.test_phone import PHONE, _fits

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


def test_a_report_sent_from_a_phone_gives_a_code_that_reads_the_status(
    live_server: str, phone: Page
) -> None:
    phone.goto(live_server + "/public/")
    phone.get_by_role("link", name="我要举报").click()
    expect(phone.get_by_role("heading", name="我要举报")).to_be_visible()
    _fits(phone, "tip_off_form")
    phone.get_by_label("补贴项目").select_option(label="耕地地力保护补贴")
    phone.locator("#f-township").select_option(label="青山镇")
    phone.locator("#f-village").select_option(label="青山镇 · 青山村")
    phone.get_by_label("反映的问题").fill("村里代领了我家今年的耕地地力保护补贴，至今没有发给我。")
    phone.get_by_label("联系方式（选填）").fill("13812345678")
    phone.get_by_role("button", name="提交举报").click()
    expect(phone.get_by_role("heading", name="举报已提交")).to_be_visible()
    _fits(phone, "tip_off_received")
    code = phone.locator("#query-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert "13812345678" not in phone.content()

    phone.get_by_role("link", name="查询办理结果").click()
    phone.get_by_label("查询码").fill(code.lower().replace("-", " "))
    phone.get_by_role("button", name="查询").click()
    expect(phone.locator("#tip-off-status")).to_contain_text("已收到，待受理")
    _fits(phone, "tip_off_status")
    assert "13812345678" not in phone.content() and "代领" not in phone.content()


def test_a_report_missing_its_account_comes_back_with_the_reason_and_the_input(
    live_server: str, phone: Page
) -> None:
    phone.goto(live_server + "/public/report")
    phone.get_by_label("补贴项目").select_option(label="耕地地力保护补贴")
    phone.get_by_label("联系方式（选填）").fill("13812345678")
    phone.get_by_role("button", name="提交举报").click()
    expect(phone.get_by_role("alert").filter(has_text="乡镇：必填")).to_be_visible()
    expect(phone.get_by_role("alert").filter(has_text="反映的问题：必填")).to_be_visible()
    # and first, above the form, both as links to their fields
    summary = phone.locator("#error-summary")
    expect(summary.get_by_role("link", name="乡镇：必填")).to_be_in_viewport()
    expect(summary.get_by_role("link", name="反映的问题：必填")).to_be_visible()
    expect(phone.get_by_label("联系方式（选填）")).to_have_value("13812345678")


def test_the_office_types_a_phoned_report_and_reads_the_code_out(
    live_server: str, page: Page
) -> None:
    page.goto(live_server + "/login")
    page.get_by_label("用户名").fill("ldxz_ban")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="群众举报").click()
    page.get_by_role("link", name="登记电话举报").click()
    expect(page.get_by_role("heading", name="登记电话举报")).to_be_visible()
    assert not axe_violations(page), describe(axe_violations(page))
    page.get_by_label("补贴项目").select_option(label="耕地地力保护补贴")
    page.locator("#f-township").select_option(label="白沙镇")
    page.get_by_label("反映的问题").fill("来电反映：村里有人冒领去世老人的高龄津贴。")
    page.get_by_label("来电号码").fill("13812345678")
    page.get_by_role("button", name="登记并送受理").click()
    code = page.locator("#query-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    expect(page.get_by_text("138****5678")).to_be_visible()
    assert "13812345678" not in page.content()
    assert not axe_violations(page), describe(axe_violations(page))
    page.get_by_role("button", name="显示未脱敏的号码和联系方式（将记入审计日志）").click()
    expect(page.get_by_text("13812345678")).to_be_visible()
    page.get_by_role("link", name="返回群众举报列表").click()
    expect(page.get_by_role("cell", name="白沙镇")).to_be_visible()
    assert "13812345678" not in page.content()
    assert not axe_violations(page), describe(axe_violations(page))


def test_the_village_list_follows_the_township_chosen(live_server: str, phone: Page) -> None:
    phone.goto(live_server + "/public/report")
    village = phone.locator("#f-village")
    expect(phone.get_by_role("button", name="列出所选乡镇的村（社区）")).to_be_hidden()
    expect(village.locator("option")).to_have_count(1)
    expect(village.locator("option").first).to_have_text("请先选择乡镇")
    phone.locator("#f-township").select_option(label="青山镇")
    expect(village.locator("option", has_text="青山镇 · ").first).to_be_attached()
    expect(village.locator("option").first).to_have_text("请选择")
    expect(village).not_to_have_attribute("aria-busy", "true")
    qingshan = village.locator("option").all_inner_texts()[1:]
    assert qingshan and all(name.startswith("青山镇 · ") for name in qingshan)
    phone.locator("#f-township").select_option(label="白沙镇")
    expect(village.locator("option", has_text="白沙镇 · ").first).to_be_attached()
    baisha = village.locator("option").all_inner_texts()[1:]
    assert baisha and all(name.startswith("白沙镇 · ") for name in baisha)
    phone.locator("#f-township").select_option(value="")
    expect(village.locator("option")).to_have_count(1)
    expect(village.locator("option").first).to_have_text("请先选择乡镇")


def test_a_failed_village_list_is_read_again_without_choosing_the_township_again(
    live_server: str, phone: Page
) -> None:
    answers = {"failed": 0}

    def first_fails(route: Route) -> None:
        if answers["failed"]:
            route.continue_()
        else:
            answers["failed"] += 1
            route.fulfill(status=503, body="")

    phone.route("**/public/choices/**", first_fails)
    phone.goto(live_server + "/public/report")
    village = phone.locator("#f-village")
    retry = phone.get_by_role("button", name="重新读取村（社区）")
    expect(retry).to_be_hidden()
    phone.locator("#f-township").select_option(label="青山镇")
    expect(phone.get_by_text("读取村（社区）失败")).to_be_visible()
    expect(village.locator("option")).to_have_count(1)
    expect(village).not_to_have_attribute("aria-busy", "true")
    _fits(phone, "tip_off_village_failed")
    retry.click()
    expect(village.locator("option", has_text="青山镇 · ").first).to_be_attached()
    expect(retry).to_be_hidden()
    expect(phone.get_by_text("读取村（社区）失败")).to_have_count(0)
    village.select_option(label="青山镇 · 青山村")
    assert answers["failed"] == 1


def test_without_scripts_the_button_lists_the_villages(live_server: str, browser: Browser) -> None:
    context = browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server + "/public/report")
        page.get_by_label("补贴项目").select_option(label="耕地地力保护补贴")
        page.locator("#f-township").select_option(label="青山镇")
        page.get_by_label("反映的问题").fill("补贴被代领。")
        page.get_by_role("button", name="列出所选乡镇的村（社区）").click()
        expect(page.get_by_label("反映的问题")).to_have_value("补贴被代领。")
        page.locator("#f-village").select_option(label="青山镇 · 青山村")
        page.get_by_role("button", name="提交举报").click()
        expect(page.get_by_role("heading", name="举报已提交")).to_be_visible()
    finally:
        context.close()
