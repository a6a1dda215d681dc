"""The campaign selector beside the menu, in Chromium, on a server of its own (2023 started
beside 2022, so the shared server's campaign stays as the other tests expect): 2023's ledger
starts empty, 2022 chosen shows its entries marked 只读, and the choice stays while the
person moves between pages; at desk and phone width."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.conftest import DEMO_PASSWORD, screenshot
from tests.live_server import demo_environment, run_ykt, serving

pytestmark = pytest.mark.browser

DESK: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def two_campaigns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with demo_environment(Path(tmp_path_factory.mktemp("campaigns"))) as env:
        run_ykt(env, "campaign", "new", "2023-HTK", "--year", "2023")
        run_ykt(env, "campaign", "start", "2023-HTK")
        with serving(env) as base:
            yield base


def _office(browser: Browser, base: str, viewport: ViewportSize) -> Page:
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.goto(base + "/login")
    page.get_by_label("用户名").fill("ldxz_ban")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    return page


def _ledger(page: Page) -> None:
    page.get_by_role("navigation", name="主菜单").get_by_role(
        "link", name="问题台账", exact=True
    ).click()
    expect(page.locator("p.hint").filter(has_text="共")).to_be_visible()


def _choose(page: Page, label: str) -> None:
    page.get_by_label("查看的专项治理活动").select_option(label=label)
    menu = page.get_by_role("navigation", name="主菜单")
    menu.get_by_role("button", name="查看", exact=True).click()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_choosing_the_ended_campaign_shows_its_ledger_read_only(
    browser: Browser, two_campaigns: str, viewport: ViewportSize
) -> None:
    page = _office(browser, two_campaigns, viewport)
    _ledger(page)
    chooser = page.get_by_label("查看的专项治理活动")
    expect(chooser.locator("option:checked")).to_have_text("2023 年度（进行中）")
    expect(page.locator("p.hint")).to_have_text("共 0 条")
    expect(page.get_by_text("只读", exact=False)).to_have_count(0)

    _choose(page, "2022 年度（已结束）")
    expect(page.get_by_role("status").filter(has_text="只读")).to_be_visible()
    expect(page.locator("table.grid tbody tr").first).to_be_visible()
    assert page.url.endswith("/ledger")
    screenshot(page, f"campaign_2022_ledger_{viewport['width']}")

    # The choice is kept while moving between pages.
    page.get_by_role("navigation", name="主菜单").get_by_role(
        "link", name="统计报表", exact=True
    ).click()
    expect(page.get_by_role("status").filter(has_text="只读")).to_be_visible()
    expect(page.get_by_label("查看的专项治理活动").locator("option:checked")).to_have_text(
        "2022 年度（已结束）"
    )
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{width} px wide at {viewport['width']}"

    _choose(page, "2023 年度（进行中）")
    _ledger(page)
    expect(page.locator("p.hint")).to_have_text("共 0 条")
    page.context.close()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_登记问题_on_the_ended_campaign_offers_to_switch_and_comes_back(
    browser: Browser, two_campaigns: str, viewport: ViewportSize
) -> None:
    page = _office(browser, two_campaigns, viewport)
    _ledger(page)
    _choose(page, "2022 年度（已结束）")
    page.get_by_role("link", name="登记问题", exact=True).click()
    expect(page.get_by_role("heading", name="新登记的记录属于进行中的活动")).to_be_visible()
    expect(page.get_by_role("button", name="登记并送审")).to_have_count(0)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{width} px wide at {viewport['width']}"
    screenshot(page, f"campaign_switch_{viewport['width']}")

    page.get_by_role("button", name="切换到 2023 年度并继续").click()
    expect(page.get_by_role("heading", name="登记问题")).to_be_visible()
    expect(page.get_by_role("button", name="登记并送审")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="只读")).to_have_count(0)
    expect(page.get_by_label("查看的专项治理活动").locator("option:checked")).to_have_text(
        "2023 年度（进行中）"
    )
    page.context.close()


@pytest.mark.parametrize("viewport", [DESK, PHONE], ids=["desk", "phone"])
def test_the_ended_campaigns_household_list_is_read_only(
    browser: Browser, two_campaigns: str, viewport: ViewportSize
) -> None:
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.goto(two_campaigns + "/login")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(two_campaigns + "/admin/reference/households?village=QSZ01")
    expect(page.get_by_role("heading", name="在青山村新增农户")).to_be_visible()
    expect(page.get_by_role("link", name="修改", exact=False).first).to_be_visible()

    _choose(page, "2022 年度（已结束）")
    expect(page.get_by_role("status").filter(has_text="只读")).to_be_visible()
    expect(page.get_by_text("这是已结束活动的农户名单（只读）")).to_be_visible()
    expect(page.get_by_role("heading", name="在青山村新增农户")).to_have_count(0)
    expect(page.get_by_role("button", name="移出名单", exact=False)).to_have_count(0)
    expect(page.locator("table.grid tbody tr").first).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{width} px wide at {viewport['width']}"
    screenshot(page, f"campaign_2022_households_{viewport['width']}")
    context.close()
