"""`make run` brings up a login page where a demo account logs in: shown in Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = [__import__("pytest").mark.browser]


def test_demo_officer_logs_in_from_the_login_page(live_server: str, page: Page) -> None:
    page.goto(live_server + "/")
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
    login_shot = screenshot(page, "login")
    assert login_shot.stat().st_size > 10_000

    page.get_by_label("用户名").fill("qsz_jbr")
    page.get_by_label("密码").fill("Demo@2022ykt")
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    expect(page.get_by_role("cell", name="青山镇", exact=True)).to_be_visible()
    expect(page.get_by_text("集中整治")).to_be_visible()
    screenshot(page, "home")


def test_wrong_password_is_explained_in_chinese(live_server: str, page: Page) -> None:
    page.goto(live_server + "/login")
    page.get_by_label("用户名").fill("qsz_fzr")
    page.get_by_label("密码").fill("Wrong#2022pw")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text(
        "用户名或密码错误，或账户暂不可用（多次输错密码锁定 15 分钟后自动解除；"
        "停用的账户请联系安全管理员）"
    )
