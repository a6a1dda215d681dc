"""The audit log as the auditor reads it at a desk: each detail's value on its label's line,
the codes a record holds named (a failed login's reason). On a phone: tests/browser/
test_phone.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_phone import values_on_their_labels_lines

pytestmark = pytest.mark.browser


def _a_failed_login(page: Page, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("用户名").fill("qsz_jbr")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("用户名或密码错误")).to_be_visible()


def test_the_auditor_reads_each_detail_beside_its_label(
    open_as: Callable[[str], Page], browser: object, live_server: str
) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    stranger = browser.new_context(locale="zh-CN")
    _a_failed_login(stranger.new_page(), live_server)
    stranger.close()

    desk = open_as("auditor")
    desk.goto(live_server + "/audit/?action=auth.login")
    expect(desk.get_by_role("heading", name="审计日志")).to_be_visible()
    details = desk.locator("dl.details").first
    expect(details).to_contain_text("密码错误")
    expect(desk.locator("table.grid")).not_to_contain_text("wrong password")
    assert desk.locator("dl.details dd").count() > 0
    values_on_their_labels_lines(desk)
    screenshot(desk, "audit-log-desk")
