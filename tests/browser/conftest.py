"""A real server process (as `make run` starts it) and a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.databases import fresh_database_url

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ykt(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli.main", *args]


@pytest.fixture(scope="session")
def live_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of the live server: a fresh database with the demo data."""
    tmp = tmp_path_factory.mktemp("live")
    with fresh_database_url(tmp) as url:
        env = {**os.environ, "YKT_DATABASE_URL": url, "YKT_INSTANCE_DIR": str(tmp / "instance")}
        subprocess.run(
            _ykt("init", "--demo"), env=env, check=True, capture_output=True, timeout=120
        )
        yield env


@pytest.fixture(scope="session")
def live_server(live_env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    log = (Path(live_env["YKT_INSTANCE_DIR"]).parent / "server.log").open("w")
    server = subprocess.Popen(
        _ykt("serve", "--port", str(port)), env=live_env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base + "/login", server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def ykt(live_env: dict[str, str]) -> Callable[..., str]:
    """Run a `ykt` command on the live server's database (as its operator would); its output."""

    def run(*args: str) -> str:
        done = subprocess.run(
            _ykt(*args), env=live_env, check=True, capture_output=True, text=True, timeout=120
        )
        return done.stdout

    return run


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not answer within 60 s")


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
