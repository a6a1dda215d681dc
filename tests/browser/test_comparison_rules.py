"""The comparison rules in Chromium: the administrator opens 比对规则 from the 数据比对 page,
changes a rule's parameter (a value out of range refused beside its field, what was typed
kept), saves a new version and sees it in the history. At desk and phone width."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_clue_walk import no_sideways_scrolling

pytestmark = pytest.mark.browser

OpenAs = Callable[[str], Page]


def test_the_administrator_changes_a_rule_from_the_page(
    open_as: OpenAs, ykt: Callable[..., str]
) -> None:
    try:
        _change_r04(open_as("admin"))
    finally:
        # The live server is shared: the comparison walk counts on R04 as `ykt init` made it.
        ykt("compare", "rule", "R04", "--set", "max_people=2")


def _change_r04(admin: Page) -> None:
    admin.get_by_role("navigation").get_by_role("link", name="数据比对").click()
    admin.get_by_role("link", name="比对规则：参数与修改记录").click()
    expect(admin.get_by_role("heading", name="比对规则")).to_be_visible()
    expect(admin.locator("#rule-list")).to_contain_text("户类型不在项目范围内")
    screenshot(admin, "comparison-rules-1280")
    admin.get_by_role("link", name="修改规则 R04").click()
    field = admin.get_by_label("每卡（账户）最多人数（1–50）")
    expect(field).to_have_value("2")
    field.fill("0")
    admin.get_by_label("规则名称").fill("一卡为多人领取（含夫妻）")
    admin.get_by_role("button", name="保存为新版本").click()
    expect(admin.locator("#error-max_people")).to_contain_text("须为 1 至 50 的整数")
    expect(admin.get_by_label("规则名称")).to_have_value("一卡为多人领取（含夫妻）")
    expect(field).to_have_attribute("aria-invalid", "true")
    field.fill("3")
    admin.get_by_role("button", name="保存为新版本").click()
    expect(admin.get_by_role("status")).to_contain_text("已修改为第 2 版")
    versions = admin.locator("#rule-versions")
    expect(versions).to_contain_text("第 2 版")
    expect(versions).to_contain_text("每卡（账户）最多人数 3")
    expect(versions).to_contain_text("admin")
    screenshot(admin, "comparison-rule-1280")
    admin.set_viewport_size({"width": 390, "height": 900})
    no_sideways_scrolling(admin)
    screenshot(admin, "comparison-rule-390")
    admin.goto(admin.url.rsplit("/", 1)[0])
    no_sideways_scrolling(admin)
    screenshot(admin, "comparison-rules-390")
