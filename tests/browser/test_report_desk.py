"""报送管理 in Chromium: 青山镇 files two monthly reports through its inbox steps; the office
finds them 已报 on the overview, reads one and returns it with a reason at desk width, the
other on a 390 px phone; each then shows 退回 and the unit's officer has the form back. Neither
width scrolls sideways.

The live server is shared by the session: the test uses the months 2022-09 and 2022-10 of
青山镇's 月报, which no other browser test touches (the scheduler starts them on its first
tick, so the test waits for them to appear)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_daily_work import OpenAs, submit
from tests.browser.test_phone import PHONE, _fits

pytestmark = pytest.mark.browser


def _open_report(page: Page, base: str, period: str) -> None:
    """Opens 青山镇's 月报 of the period from the overview (waiting for the scheduler)."""
    url = f"{base}/obligations/?obligation=monthly_report&period={period}&unit=QSZ"
    for _attempt in range(30):
        page.goto(url)
        link = page.locator("#overview tbody").get_by_role("link", name="自查自纠")
        if link.count():
            link.first.click()
            expect(page.locator("#report-state")).to_be_visible()
            return
        page.wait_for_timeout(1000)
    raise AssertionError(f"the {period} report did not appear")


def _file(officer: Page, reviewer: Page, base: str, period: str) -> None:
    _open_report(officer, base, period)
    officer.locator("#my-step a").click()
    officer.get_by_label("到村到户调查人数").fill("120")
    officer.get_by_label("到村到户调查户数").fill("48")
    officer.get_by_label("摸排出“一卡通”的总量（张）").fill("300")
    officer.get_by_label("涉及到的银行家数").fill("3")
    officer.get_by_label("违规代管“一卡通”数量（张）").fill("0")
    officer.get_by_label("本月自查自纠情况").fill(f"{period} 入户走访48户，未发现违规代管")
    submit(officer)
    expect(officer.get_by_role("heading", name="我的待办")).to_be_visible()

    _open_report(reviewer, base, period)
    reviewer.locator("#my-step a").click()
    reviewer.get_by_label("审核结果").select_option(label="同意上报")
    submit(reviewer)
    expect(reviewer.get_by_role("heading", name="我的待办")).to_be_visible()


def _return(office: Page, base: str, period: str, reason: str) -> None:
    office.goto(f"{base}/obligations/?obligation=monthly_report&period={period}&state=filed")
    row = office.locator("#overview tbody tr").filter(has_text="青山镇")
    expect(row).to_contain_text("已报")
    row.get_by_role("link").first.click()
    expect(office.locator("#report-state")).to_have_text("已报")
    expect(office.locator("#filed")).to_contain_text(f"{period} 入户走访48户")
    office.get_by_role("button", name="退回重报").click()  # no reason: refused in the browser
    expect(office.locator("#report-state")).to_have_text("已报")
    office.get_by_label("退回理由（必填）").fill(reason)
    office.get_by_role("button", name="退回重报").click()
    expect(office.get_by_role("status").first).to_contain_text("已退回青山镇的报告")
    expect(office.locator("#report-state")).to_have_text("退回")
    expect(office.locator("#return-note")).to_contain_text(reason)


def test_the_office_returns_filed_reports_at_desk_and_phone_width(
    open_as: OpenAs, live_server: str
) -> None:
    officer, reviewer = open_as("qsz_jbr"), open_as("qsz_fzr")
    _file(officer, reviewer, live_server, "2022-09")
    _file(officer, reviewer, live_server, "2022-10")

    office = open_as("ldxz_ban")
    office.get_by_role("navigation").get_by_role("link", name="报送管理").click()
    expect(office.get_by_role("heading", name="报送管理")).to_be_visible()
    width = office.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 1280, f"the overview is {width} px wide at desk width"
    _return(office, live_server, "2022-09", "银行家数与摸排清单不符，请核实后重报")
    screenshot(office, "report_returned")

    office.set_viewport_size(PHONE)
    office.goto(f"{live_server}/obligations/?unit=QSZ&obligation=monthly_report")
    expect(office.locator("#overview tbody tr").first).to_be_visible()
    _fits(office, "obligations")
    _return(office, live_server, "2022-10", "请补充走访村组名单")
    _fits(office, "obligation_returned")
    office.goto(f"{live_server}/obligations/?state=returned&unit=QSZ")
    expect(office.locator("#overview tbody tr").filter(has_text="2022-10")).to_contain_text("退回")
    _fits(office, "obligations_returned")

    # The unit's officer has the form back, with the reason, until it files again.
    _open_report(officer, live_server, "2022-09")
    expect(officer.locator("#report-state")).to_have_text("退回")
    officer.locator("#my-step a").click()
    expect(officer.get_by_role("alert")).to_contain_text("银行家数与摸排清单不符")
