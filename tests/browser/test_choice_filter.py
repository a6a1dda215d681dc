"""A long choice's search box (js/choice-filter.js) on the real 我要举报 page, in Chromium at
desk and phone width: the page's township list made long (a province has 1,257), what is
typed keeps the townships whose name or code holds it, the chosen one is kept, Enter picks
the only one found without sending the form, and the report goes with the township found."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import axe_violations, describe
from tests.browser.test_daily_work import OpenAs, inbox_row, register_problem, submit
from tests.browser.test_phone import _fits, phone  # noqa: F401  (the phone's page, a fixture)

pytestmark = pytest.mark.browser

# A list of the live page made as long as a province's would be (the demo district's units
# and 40 more), before the script reads it, as the server marks such a list.
LENGTHEN = """([id, label]) => {
    const select = document.getElementById(id);
    for (let n = 0; n < 40; n++) {
        select.add(new Option('示例第' + n + '镇', 'T' + String(n).padStart(3, '0')));
    }
    select.dataset.filter = label;
}"""


def _lengthened(page: Page, live_server: str, field: str, label: str) -> None:
    """The page's list `field` made long, then the script run on it (it is held back until
    then)."""
    page.wait_for_load_state("load")  # its own request of the script turned away first
    page.evaluate(LENGTHEN, [field, label])
    page.unroute("**/js/choice-filter.js")
    page.add_script_tag(url=live_server + "/static/js/choice-filter.js")
    expect(page.get_by_label("查找" + label)).to_be_visible()


def _long_list_page(page: Page, live_server: str) -> None:
    page.route("**/js/choice-filter.js", lambda route: route.abort())
    page.goto(live_server + "/public/report")
    _lengthened(page, live_server, "f-township", "乡镇")


def _shown(page: Page) -> list[str]:
    return page.locator("#f-township option").all_inner_texts()[1:]


def _not_sent(page: Page, typed: str, label: str = "乡镇") -> None:
    """The form was not sent: no refusal came back, and the box still holds what was typed
    (a page sent back would have a new, empty box)."""
    page.wait_for_load_state("load")
    expect(page.locator("#error-summary")).to_have_count(0)
    expect(page.get_by_label("查找" + label)).to_have_value(typed)


def test_typing_keeps_the_choices_that_hold_it_and_the_one_chosen(
    live_server: str, page: Page
) -> None:
    _long_list_page(page, live_server)
    assert len(_shown(page)) == 46
    page.locator("#f-township").select_option(label="示例第7镇")
    page.get_by_label("查找乡镇").fill("第1")
    # in the list's own order, the chosen one among them
    assert _shown(page) == [f"示例第{n}镇" for n in [1, 7, *range(10, 20)]]
    expect(page.locator("#f-township")).to_have_value("T007")
    expect(page.locator("#f-township-count")).to_have_text("共 46 项，找到 11 项")
    page.get_by_label("查找乡镇").fill("t03 9")  # a code, in any case, spaces ignored
    assert _shown(page) == ["示例第7镇", "示例第39镇"]
    page.get_by_label("查找乡镇").fill("")
    assert len(_shown(page)) == 46
    expect(page.locator("#f-township-count")).to_have_text("")
    assert not [v for v in axe_violations(page) if v["impact"] in ("critical", "serious")], (
        describe(axe_violations(page))
    )


def test_enter_picks_the_only_township_found_and_the_report_goes_with_it(
    live_server: str,
    phone: Page,  # noqa: F811 (the fixture imported above)
) -> None:
    _long_list_page(phone, live_server)
    _fits(phone, "tip_off_long_township_list")
    phone.get_by_label("补贴项目").select_option(label="耕地地力保护补贴")
    phone.get_by_label("查找乡镇").fill("青山")
    phone.get_by_label("查找乡镇").press("Enter")  # not the form's submit
    expect(phone.locator("#f-township")).to_have_value("QSZ")
    _not_sent(phone, "青山")
    # the township's change fetched its villages (js/choice-depends.js)
    phone.locator("#f-village").select_option(label="青山镇 · 青山村")
    phone.get_by_label("反映的问题").fill("村里代领了我家今年的补贴。")
    phone.get_by_role("button", name="提交举报").click()
    expect(phone.get_by_role("heading", name="举报已提交")).to_be_visible()


def test_nothing_found_says_so_and_sends_nothing(live_server: str, page: Page) -> None:
    _long_list_page(page, live_server)
    page.get_by_label("查找乡镇").fill("没有这个镇")
    assert _shown(page) == []
    expect(page.locator("#f-township-count")).to_have_text("共 46 项，找到 0 项")
    page.get_by_label("查找乡镇").press("Enter")
    _not_sent(page, "没有这个镇")
    expect(page.locator("#f-township")).to_have_value("")


def test_the_reviewer_finds_the_responsible_unit_and_enter_does_not_send_the_form(
    open_as: OpenAs, live_server: str
) -> None:
    """On the reviewer's 审核 form, whose submit button Enter would press: Enter in the box
    picks the unit found and sends nothing; the form then goes with it."""
    number = register_problem(open_as("qsz_jbr"), "查找测试：低保金代领", "600.00")
    reviewer = open_as("qsz_fzr")
    row = inbox_row(reviewer, number)
    row.get_by_role("button", name="认领").click()
    expect(row).to_contain_text("已认领")
    reviewer.route("**/js/choice-filter.js", lambda route: route.abort())
    row.get_by_role("link", name="办理").click()
    _lengthened(reviewer, live_server, "f-responsible_unit", "整改责任单位")
    reviewer.get_by_label("审核结果").select_option(label="通过，落实整改")
    reviewer.get_by_label("查找整改责任单位").fill("青山")
    reviewer.get_by_label("查找整改责任单位").press("Enter")
    _not_sent(reviewer, "青山", "整改责任单位")
    expect(reviewer.get_by_label("整改责任单位", exact=True)).to_have_value("QSZ")
    reviewer.get_by_label("整改责任人").fill("张明")
    reviewer.get_by_label("整改类型").select_option(label="限期整改")
    reviewer.get_by_label("整改措施").fill("补发到户")
    deadline = reviewer.get_by_label("整改时限")
    deadline.fill(deadline.get_attribute("min") or "")
    submit(reviewer)
    expect(reviewer.get_by_role("status")).to_have_text("“审核登记，落实整改责任”已办理完毕")
