"""A real server process (as `make run` starts it, tests.live_server) and a real headless
Chromium."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.live_server import demo_environment, run_ykt, serving

CHROMIUM = os.environ.get("YKT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=zh-CN",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def live_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of the live server: a fresh database with the demo data."""
    with demo_environment(tmp_path_factory.mktemp("live")) as env:
        yield env


@pytest.fixture(scope="session")
def live_server(live_env: dict[str, str]) -> Iterator[str]:
    with serving(live_env) as base:
        yield base


@pytest.fixture(scope="session")
def ykt(live_env: dict[str, str]) -> Callable[..., str]:
    """Run a `ykt` command on the live server's database (as its operator would); its output."""
    return functools.partial(run_ykt, live_env)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip("Chromium not installed (apt-get install chromium): browser tests not run")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


DEMO_PASSWORD = "Demo@2022ykt"


@pytest.fixture
def open_as(browser: object, live_server: str) -> Iterator[Callable[[str], object]]:
    """A logged-in page per person, each in its own browser context (own cookies)."""
    from playwright.sync_api import Browser, Page, expect

    assert isinstance(browser, Browser)
    contexts = []

    def log_in(username: str) -> Page:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        contexts.append(context)
        page = context.new_page()
        page.goto(live_server + "/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name="工作台")).to_be_visible()
        return page

    yield log_in
    for context in contexts:
        context.close()


def screenshot(page: object, name: str) -> Path:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
