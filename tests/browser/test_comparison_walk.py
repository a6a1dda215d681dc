"""数据比对 in Chromium: the district's lists and a township's rolls go in (`ykt`), the leading
group office runs the comparison from the 数据比对 page and watches its progress, the 疑点
come out masked; the township's officer finds a 核实 task in the inbox, sees the rows
masked, asks for the full numbers (audited), finds one 疑点 true (a ledger entry) and another
untrue with evidence; the page's hit rates follow. At desk and phone width."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from bench.comparison_data import generate
from tests.browser.conftest import screenshot
from tests.browser.test_clue_walk import no_sideways_scrolling
from tests.browser.test_daily_work import submit

pytestmark = pytest.mark.browser

OpenAs = Callable[[str], Page]
QSZ_VILLAGES = ["青山村", "石门村", "桃园社区", "柳塘村", "新华村"]
FULL_ID = re.compile(r"(?<![\d*])\d{17}[\dX](?![\d*])")


def load_lists(ykt: Callable[..., str], folder: Path) -> None:
    data = generate(29, 12, QSZ_VILLAGES)
    for kind in ("standards", "deceased", "payroll", "beneficiaries"):
        path = folder / f"{kind}.csv"
        path.write_bytes(data.list_csv(kind))
        ykt("reference", "import", kind, str(path))
    for roll, programme in data.programmes.items():
        path = folder / f"roll-{roll}.csv"
        path.write_bytes(data.roll_csv(roll))
        ykt("roll", "import", str(path), "--programme", programme, "--period", "2022-06")


def verify_one(officer: Page, width: int) -> str:
    """Opens the first 核实 task in the inbox; the 疑点's heading."""
    officer.set_viewport_size({"width": width, "height": 900})
    officer.get_by_role("navigation").get_by_role("link", name="我的待办").click()
    expect(officer.get_by_role("heading", name="我的待办")).to_be_visible()
    row = officer.locator("tbody tr", has_text="核实疑点").first
    row.get_by_role("link", name="办理").click()
    heading = officer.get_by_role("heading", name=re.compile(r"数据比对疑点 #\d+"))
    expect(heading).to_be_visible()
    rows = officer.locator("#discrepancy-rows")
    expect(rows).to_contain_text("**********")
    assert not FULL_ID.search(officer.content())
    no_sideways_scrolling(officer)
    return heading.inner_text()


def test_a_comparison_from_the_page_to_the_townships_verdicts(
    open_as: OpenAs, ykt: Callable[..., str], tmp_path: Path
) -> None:
    load_lists(ykt, tmp_path)
    office = open_as("ldxz_ban")
    office.get_by_role("navigation").get_by_role("link", name="数据比对").click()
    expect(office.get_by_role("heading", name="数据比对", exact=True)).to_be_visible()
    office.get_by_label("比对的期间").fill("2022-06")
    office.get_by_role("button", name="运行比对").click()
    expect(office.get_by_role("status")).to_contain_text("已提交第")
    # The scheduler of `ykt serve` works the run; the page follows it and reloads when done.
    expect(office.locator("#run-progress .run-status")).to_have_text("已完成", timeout=120_000)
    expect(office.locator("#run-progress")).to_contain_text("新疑点 9 个")
    listed = office.locator("#discrepancy-list")
    expect(listed).to_contain_text("R01")
    expect(listed).to_contain_text("核实中")
    assert not FULL_ID.search(office.content())
    screenshot(office, "comparison-page-1280")
    office.set_viewport_size({"width": 390, "height": 900})
    no_sideways_scrolling(office)
    screenshot(office, "comparison-page-390")

    officer = open_as("qsz_jbr")
    first = verify_one(officer, 1280)
    officer.get_by_role("button", name="查看完整号码（将记入审计日志）").click()
    expect(officer.locator("#full-numbers-shown")).to_be_visible()
    assert FULL_ID.search(officer.locator("#discrepancy-rows").inner_text())
    screenshot(officer, "comparison-verify-1280")
    officer.get_by_label("核实结论").select_option(label="属实")
    officer.get_by_label("核实情况（不属实的写明理由）").fill("入户核实：领取人不符合条件")
    submit(officer)
    expect(officer.get_by_role("status")).to_have_text("“核实疑点”已办理完毕")

    second = verify_one(officer, 390)
    assert second != first
    screenshot(officer, "comparison-verify-390")
    officer.get_by_label("核实结论").select_option(label="不属实")
    officer.get_by_label("核实情况（不属实的写明理由）").fill("经核实为名册录入错误，已更正")
    evidence = tmp_path / "核实材料.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% evidence\n")
    officer.locator('input[name="evidence__upload"]').set_input_files(str(evidence))
    submit(officer)
    expect(officer.get_by_role("status")).to_have_text("“核实疑点”已办理完毕")

    office.reload()
    rates = office.locator("#hit-rates")
    expect(rates).to_contain_text("100%")
    expect(rates).to_contain_text("0%")
    office.get_by_label("核实状态").select_option(label="属实")
    office.get_by_role("button", name="筛选").click()
    expect(office.locator("#discrepancy-list tbody tr")).to_have_count(1)
    expect(office.locator("#discrepancy-list")).to_contain_text("台账")
