"""基础数据 in Chromium: the administrator adds a village at a desk, is refused one under a
missing township with what was typed kept, and the household list fits a phone (nothing to
scroll sideways, no serious axe finding), its numbers masked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DEMO_PASSWORD, screenshot
from tests.browser.test_accessibility import axe_violations, describe
from tests.browser.test_phone import PHONE

pytestmark = pytest.mark.browser


def test_places_at_a_desk(open_as: Callable[[str], Page], live_server: str) -> None:
    page = open_as("admin")
    page.get_by_role("link", name="基础数据").click()
    expect(page.get_by_role("heading", name="补贴项目 · ", exact=False)).to_be_visible()
    page.get_by_role("link", name="乡镇和村").click()
    form = page.locator("#place-form")
    form.get_by_label("类型").select_option("village")
    form.get_by_label("代码").fill("QSZ88")
    form.get_by_label("名称").fill("浏览器村")
    form.get_by_role("button", name="新增").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("请填写村所属的乡镇")
    expect(form.get_by_label("名称")).to_have_value("浏览器村")  # kept
    form.get_by_label("所属乡镇（村必选）").select_option("QSZ")
    form.get_by_role("button", name="新增").click()
    expect(page.get_by_text("已新增村（社区） QSZ88 浏览器村")).to_be_visible()
    expect(page.get_by_role("cell", name="└ 浏览器村")).to_be_visible()
    assert not axe_violations(page), describe(axe_violations(page))
    screenshot(page, "admin_places")


def test_the_household_list_fits_a_phone(browser: Browser, live_server: str) -> None:
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        page.goto(live_server + "/login")
        page.get_by_label("用户名").fill("admin")
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name="工作台")).to_be_visible()
        page.goto(live_server + "/admin/reference/households?village=QSZ01")
        expect(page.get_by_role("heading", name="农户名单 · 青山镇青山村")).to_be_visible()
        form = page.locator("#household-form")
        form.get_by_label("户编号").fill("QSZ01-900")
        form.get_by_label("户主姓名").fill("手机户")
        form.get_by_label("身份证号").fill("11010519491231002X")
        form.get_by_label("“一卡通”卡号").fill("6217000012340000")
        form.get_by_label("联系电话").fill("13800001111")
        form.get_by_role("button", name="新增农户").click()
        expect(page.get_by_text("已新增农户 QSZ01-900")).to_be_visible()
        expect(page.get_by_text("**************002X")).to_be_visible()
        assert "11010519491231002X" not in page.content()
        page.wait_for_load_state("load")  # the page's stylesheet too, on a busy machine
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{width} px wide"
        remove = page.get_by_role("button", name="移出名单：手机户户")
        box = remove.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
        assert not axe_violations(page), describe(axe_violations(page))
        screenshot(page, "phone_admin_households")
    finally:
        context.close()
