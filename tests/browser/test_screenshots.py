"""Full-page screenshots of the main pages, each as the person who works there, taken once the
page has finished drawing (diagram, chart, modeler). They land in test-artifacts/screenshots/
and are copied by hand into docs/screenshots/ for the README."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

PASSWORD = "Demo@2022ykt"


def _nothing(page: Page) -> None:
    """The page is drawn by the server alone."""


def _open_task(page: Page) -> None:
    """From the inbox to the rectification of 2022-QSZ-0003, diagram drawn."""
    page.get_by_placeholder("编号或内容").fill("2022-QSZ-0003")
    page.get_by_role("button", name="筛选").click()
    page.get_by_role("row").filter(has_text="2022-QSZ-0003").get_by_role(
        "link", name="办理"
    ).click()
    expect(page.locator("#diagram[data-ready=true]")).to_be_attached()
    expect(page.locator("#diagram .djs-element.current-step")).to_have_count(1)


def _open_problem(page: Page) -> None:
    """From the ledger to the closed and published 2022-QSZ-0001."""
    page.get_by_role("link", name="2022-QSZ-0001").click()


def _chart_drawn(page: Page) -> None:
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('overdue-chart'))"
    )


def _modeler_drawn(page: Page) -> None:
    expect(page.locator("#modeler[data-ready=true]")).to_be_attached()
    expect(page.locator("#canvas .djs-element").first).to_be_attached()


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()


def _auditor_requested(page: Page) -> None:
    """secadmin asks for an auditor account (in a browser of their own); the page, seen by
    secadmin2, shows the request to approve or refuse."""
    base = page.url.split("/admin/")[0]
    browser = page.context.browser
    assert isinstance(browser, Browser)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    try:
        requester = context.new_page()
        _log_in(requester, base, "secadmin")
        requester.goto(base + "/admin/users")
        form = requester.locator("#new-account form")
        form.get_by_label("用户名").fill("auditor2")
        form.get_by_label("姓名").fill("第二审计员")
        form.locator("select[name=unit]").select_option("LKQ")
        form.locator("select[name=role]").select_option("auditor")
        form.get_by_label("初始密码").fill("Audit#2022pw")
        form.get_by_role("button", name="新建用户").click()
        expect(requester.locator(".flash-info")).to_contain_text("须由另一名安全管理员复核")
    finally:
        context.close()
    page.reload()
    expect(page.locator("#requests")).to_contain_text("auditor2（第二审计员）")


@dataclass(frozen=True)
class Shot:
    name: str
    user: str | None  # None: not logged in
    path: str
    heading: str
    then: Callable[[Page], None] = _nothing
    command: tuple[str, ...] = ()  # a `ykt` command run first (e.g. issuing a token)


SHOTS = [
    Shot("login", None, "/login", "用户登录"),
    Shot("home", "qsz_jbr", "/", "工作台"),
    Shot("inbox", "qsz_jbr", "/inbox/", "我的待办"),
    Shot("task", "qsz_jbr", "/inbox/", "整改落实，提交佐证", _open_task),
    Shot("ledger", "ldxz_ban", "/ledger", "问题台账"),
    Shot("problem", "ldxz_ban", "/ledger", "问题 2022-QSZ-0001", _open_problem),
    Shot("supervise", "ldxz_ban", "/supervise/", "督办", _chart_drawn),
    Shot("modeler", "admin", "/admin/modeler?key=problem_lifecycle", "流程图编辑", _modeler_drawn),
    Shot("admin_users", "secadmin2", "/admin/users", "账户和角色", _auditor_requested),
    Shot("admin_units", "admin", "/admin/units", "单位"),
    Shot("public", None, "/public/", "惠民惠农财政补贴资金“一卡通”问题整改情况公示"),
    Shot(
        "tokens",
        "qsz_jbr",
        "/account/tokens",
        "我的 API 令牌",
        command=("user", "token", "qsz_jbr"),
    ),
    Shot("audit", "auditor", "/audit/", "审计日志"),
]


def open_shot(live_server: str, ykt: Callable[..., str], page: Page, shot: Shot) -> None:
    """The page of a shot as its user sees it, after the shot's set-up."""
    if shot.command:
        ykt(*shot.command)
    if shot.user is not None:
        _log_in(page, live_server, shot.user)
    page.goto(live_server + shot.path)
    shot.then(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(shot.heading)


@pytest.mark.parametrize("shot", SHOTS, ids=lambda s: s.name)
def test_screenshot_of_a_main_page(
    live_server: str, ykt: Callable[..., str], page: Page, shot: Shot
) -> None:
    open_shot(live_server, ykt, page, shot)
    expect(page.locator(".flash-error")).to_have_count(0)
    path = screenshot(page, shot.name)
    assert path.stat().st_size > 8_000, f"{path.name} is suspiciously small"
