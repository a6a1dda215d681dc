"""发起流程 in Chromium at phone width: an officer finds the processes their role may start,
fills the start form (refused once for a missing field), starts the case and sees what it
waits for; a message delivered from the command line moves it on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.campaign import case_diagrams

pytestmark = pytest.mark.browser


def fits(page: Page, width: int) -> bool:
    scroll_width: int = page.evaluate("document.documentElement.scrollWidth")
    return scroll_width <= width


def test_start_a_case_at_390_px(
    open_as: Callable[[str], Page], ykt: Callable[..., str], tmp_path: Path
) -> None:
    diagram = tmp_path / "matter.bpmn"
    diagram.write_text(case_diagrams.waiter("browser_waiter"), encoding="utf-8")
    ykt("deploy", str(diagram))

    page = open_as("qsz_jbr")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="发起流程").click()
    expect(page.get_by_role("heading", name="发起流程")).to_be_visible()
    assert fits(page, 390)
    page.get_by_role("link", name="发起“退回资金跟踪”").click()

    expect(page.get_by_role("heading", name="发起：退回资金跟踪")).to_be_visible()
    page.get_by_label("关联编号").fill("2022-QSZ-0777")
    page.get_by_role("button", name="发起", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("事项名称：必填")
    expect(page.get_by_label("关联编号")).to_have_value("2022-QSZ-0777")  # kept
    page.get_by_label("事项名称").fill("核实退回资金")
    assert fits(page, 390)
    page.get_by_role("button", name="发起", exact=True).click()

    expect(page.get_by_role("heading", name="正在等待")).to_be_visible()
    expect(page.locator('[data-wait="message"]')).to_contain_text(
        "等待消息“资金已退回”（关联键 2022-QSZ-0777）"
    )
    assert fits(page, 390)

    said = ykt("case", "message", "资金已退回", "--key", "2022-QSZ-0777")
    assert "已送达 1 个案件" in said
    page.reload()
    expect(page.get_by_role("link", name="ack")).to_be_visible()
    expect(page.get_by_text("收到消息")).to_be_visible()
