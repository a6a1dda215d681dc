"""At 390 px wide (a phone), the pages people work on fit the screen: nothing to scroll
sideways, the action of each row on screen, the task page's columns one above the other;
and axe finds nothing critical or serious there either."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from tests.browser.conftest import DEMO_PASSWORD, screenshot
from tests.browser.test_accessibility import axe_violations, describe

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    # Its stylesheet too: a layout read before it applies measures the page unstyled (the
    # menu's items without their padding, not wider than the screen) on a busy machine.
    page.wait_for_load_state("load")


def _fits(page: Page, name: str) -> None:
    """No sideways scrolling: the page is no wider than the screen, and no axe violation."""
    page.wait_for_load_state("load")  # measured as styled (see _log_in)
    screenshot(page, f"phone_{name}")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 391
                         && !e.closest('.scroll-narrow, .menu, .diagram, .djs-container'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' +
                             Math.round(e.getBoundingClientRect().right))"""
    )
    assert width <= PHONE["width"], f"{name}: {width} px wide; too wide: {wide}"
    violations = axe_violations(page)
    assert not violations, describe(violations)


def _on_screen(page: Page, locator: Locator) -> None:
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def _box_beside_its_words(box: Locator) -> None:
    """A checkbox in a filter row keeps its size and sits just before its words (a filter
    row's fields fill the width on a phone; a checkbox stretched so stood apart from them)."""
    square = box.bounding_box()
    words = box.evaluate(
        """e => { const r = document.createRange(); r.selectNodeContents(e.closest('label'));
                  r.setStartAfter(e); const b = r.getBoundingClientRect();
                  return {x: b.x, y: b.y, height: b.height}; }"""
    )
    assert square is not None and square["width"] < 40, square
    gap = words["x"] - (square["x"] + square["width"])
    assert 0 <= gap < 16, f"the words start {gap:.0f} px after the box"
    assert abs(words["y"] + words["height"] / 2 - (square["y"] + square["height"] / 2)) < 8


def _values_beside_their_labels(page: Page, rows: str) -> None:
    """In a list shown as cards, every line of every value (a wrapped description, the
    village under its township) stays in the value's column, right of the labels."""
    under = page.evaluate(
        """rows => [...document.querySelectorAll(rows + ' td[data-label]')].flatMap(td => {
                const range = document.createRange(); range.selectNodeContents(td);
                const left = td.getBoundingClientRect().left;
                return [...range.getClientRects()].filter(r => r.width > 0 && r.left < left + 60)
                    .map(() => td.dataset.label + ': ' + td.innerText.slice(0, 20)); })""",
        rows,
    )
    assert not under, f"under the labels: {under[:5]}"


def values_on_their_labels_lines(page: Page) -> None:
    """Each `dl.details` value starts on its label's line."""
    apart = page.evaluate(
        """() => [...document.querySelectorAll('dl.details dd')].filter(dd => {
                const dt = dd.previousElementSibling;
                const top = r => r.getBoundingClientRect().top;
                return Math.abs(top(dd) - top(dt)) > 4;
            }).map(dd => dd.previousElementSibling.innerText + ': ' + dd.innerText)"""
    )
    assert not apart, f"values below their labels: {apart[:5]}"


def test_the_officers_pages_fit_a_phone(phone: Page, live_server: str) -> None:
    _log_in(phone, live_server, "qsz_jbr")
    _fits(phone, "home")

    phone.goto(live_server + "/inbox/")
    expect(phone.get_by_role("heading", name="我的待办")).to_be_visible()
    _fits(phone, "inbox")
    handle = phone.get_by_role("link", name="办理").first
    _on_screen(phone, handle)

    handle.click()
    expect(phone.locator("#diagram[data-ready=true]")).to_be_attached()
    main, side = phone.locator(".columns .main"), phone.locator(".columns .side")
    main_box, side_box = main.bounding_box(), side.bounding_box()
    assert main_box and side_box
    # The columns stack, what the step decides on above the form.
    assert main_box["y"] >= side_box["y"] + side_box["height"] - 1, "the columns stack"
    assert abs(main_box["width"] - side_box["width"]) < 2
    _fits(phone, "task")

    phone.goto(live_server + "/problems/new")
    expect(phone.get_by_role("heading", name="登记问题")).to_be_visible()
    _fits(phone, "register")


def test_the_problem_page_fits_a_phone(phone: Page, live_server: str) -> None:
    _log_in(phone, live_server, "ldxz_ban")
    phone.goto(live_server + "/ledger")
    _fits(phone, "ledger")
    _box_beside_its_words(phone.get_by_label("仅看逾期"))
    _values_beside_their_labels(phone, "table.stack tbody tr")
    phone.get_by_role("link", name="2022-QSZ-0001").click()
    expect(phone.get_by_role("heading", name="问题 2022-QSZ-0001")).to_be_visible()
    _fits(phone, "problem")


def test_the_public_page_fits_a_phone(phone: Page, live_server: str) -> None:
    phone.goto(live_server + "/public/")
    expect(phone.locator("table.grid tbody tr").first).to_be_visible()
    _fits(phone, "public")
    _on_screen(phone, phone.get_by_role("button", name="查询"))


def test_the_audit_log_fits_a_phone(phone: Page, live_server: str) -> None:
    _log_in(phone, live_server, "auditor")
    phone.goto(live_server + "/audit/")
    expect(phone.get_by_role("heading", name="审计日志")).to_be_visible()
    assert phone.locator("dl.details dd").count() > 0
    _fits(phone, "audit_log")
    values_on_their_labels_lines(phone)


def test_a_refused_registration_says_first_what_to_change(phone: Page, live_server: str) -> None:
    from tests.browser.test_daily_work import fill_registration

    _log_in(phone, live_server, "qsz_jbr")
    phone.goto(live_server + "/problems/new")
    fill_registration(phone, "", "12x")
    phone.get_by_role("button", name="登记并送审").click()
    summary = phone.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()  # not screens below, beside the fields
    _on_screen(phone, summary)
    expect(summary.get_by_role("listitem")).to_have_count(2)
    expect(summary).to_contain_text("问题描述：必填")
    expect(summary).to_contain_text("涉及金额（元）")
    expect(phone.get_by_label("涉及金额（元）")).to_have_value("12x")  # kept as typed
    _fits(phone, "registration_refused")


def test_the_menu_shows_the_page_one_is_on(phone: Page, live_server: str) -> None:
    """The office's menu is wider than a phone and scrolls sideways: on the page of its last
    item, that item is scrolled onto the screen."""
    _log_in(phone, live_server, "ldxz_ban")
    menu = phone.get_by_role("navigation", name="主菜单")
    last = menu.get_by_role("link").last
    assert phone.evaluate("() => document.querySelector('nav.menu').scrollWidth") > PHONE["width"]
    box = last.bounding_box()
    assert box is not None and box["x"] + box["width"] > PHONE["width"]  # off screen at first
    name = last.inner_text()
    phone.goto(live_server + (last.get_attribute("href") or ""))
    active = menu.locator("a.active")
    expect(active).to_have_text(name)
    _on_screen(phone, active)
    screenshot(phone, "phone_menu_scrolled")


def test_the_admin_pages_fit_a_phone(phone: Page, live_server: str) -> None:
    """A table wider than the screen scrolls in its own box, its last link reachable there;
    the diagram editor says it wants a computer, its properties panel below the canvas; a
    user card's 单位 select stays inside the card."""
    _log_in(phone, live_server, "admin")
    for address, name, link in (
        ("/admin/definitions", "definitions", "编辑流程图"),
        ("/admin/definitions/monthly_report", "definition", "下载 BPMN"),
    ):
        phone.goto(live_server + address)
        _fits(phone, name)
        last = phone.get_by_role("link", name=link).first
        last.scroll_into_view_if_needed()
        _on_screen(phone, last)
    phone.goto(live_server + "/admin/modeler?key=monthly_report")
    expect(phone.get_by_text("流程图编辑请使用电脑（宽度至少 1024 像素）")).to_be_visible()
    canvas, panel = (
        phone.locator("#canvas").bounding_box(),
        phone.locator("#properties").bounding_box(),
    )
    assert canvas and panel and panel["y"] >= canvas["y"] + canvas["height"] - 1, "panel below"
    phone.context.clear_cookies()
    _log_in(phone, live_server, "secadmin")
    phone.goto(live_server + "/admin/users")
    _fits(phone, "users")
    outside = phone.evaluate(
        """() => [...document.querySelectorAll('td select')].filter(s =>
                s.getBoundingClientRect().right > s.closest('tr').getBoundingClientRect().right
            ).map(s => s.getAttribute('aria-label'))"""
    )
    assert not outside, outside
