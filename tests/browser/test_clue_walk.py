"""A clue in Chromium, as the people who handle it see it: the reviewer flags a suspected
violation while approving a problem; the discipline commission finds the clue in its inbox
by the problem's number, reads what it needs to decide (the clue, the problem, the money the
unit already recorded), decides, has a refused outcome form keep every input, and records
the outcome; the problem's page then shows the clue concluded. At desk and phone width."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_daily_work import current_step, field, inbox_row, register_problem, submit

pytestmark = pytest.mark.browser

OpenAs = Callable[[str], Page]
SUMMARY = "新华村村会计涉嫌截留2户低保金，资金去向不明"
CLUE_NUMBER = re.compile(r"XS-\d{4}-\d{4}")


def approve_registration(reviewer: Page, number: str, *, clue: str = "") -> None:
    """The reviewer approves the problem, assigns its rectification and, given a clue
    summary, flags a suspected violation."""
    inbox_row(reviewer, number).get_by_role("link", name="办理").click()
    reviewer.get_by_label("审核结果").select_option(label="通过，落实整改")
    reviewer.get_by_label("整改责任单位").select_option(label="青山镇")
    reviewer.get_by_label("整改责任人").fill("张明")
    reviewer.get_by_label("整改类型").select_option(label="限期整改")
    reviewer.get_by_label("整改措施").fill("追回资金，补发到户")
    deadline = reviewer.get_by_label("整改时限")
    deadline.fill(
        (date.fromisoformat(deadline.get_attribute("min") or "") + timedelta(days=30)).isoformat()
    )
    if clue:
        reviewer.get_by_label("涉嫌违纪违法，需向纪检监察机关移送问题线索").check()
        reviewer.get_by_label("线索摘要").fill(clue)
    submit(reviewer)
    expect(reviewer.get_by_role("status")).to_have_text("“审核登记，落实整改责任”已办理完毕")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_clue_goes_through_the_commission(open_as: OpenAs, width: int) -> None:
    officer = open_as("qsz_jbr")
    number = register_problem(officer, f"新华村2户低保金被截留（{width}）", "2400.00")
    approve_registration(open_as("qsz_fzr"), number, clue=SUMMARY)

    commission = open_as("jjw_jc")
    commission.set_viewport_size({"width": width, "height": 900})
    row = inbox_row(commission, number)  # found by the problem's number
    expect(row).to_have_count(1)
    expect(row).to_contain_text("接收线索，确定处置方式")
    row.get_by_role("link", name="办理").click()

    # What the decision needs: the clue, where it came from, the problem and its unit.
    expect(commission.get_by_role("heading", name="接收线索，确定处置方式")).to_be_visible()
    clue_heading = commission.get_by_role("heading", name=CLUE_NUMBER)
    expect(clue_heading).to_be_visible()
    facts = commission.locator("aside dl.facts").first
    expect(facts).to_contain_text(SUMMARY)
    expect(facts).to_contain_text("审核登记，落实整改责任")  # the step that transferred it
    expect(facts).to_contain_text("待处置")
    problem_facts = commission.locator("aside dl.facts").nth(1)
    expect(commission.get_by_role("heading", name=f"问题 {number}")).to_be_visible()
    expect(problem_facts).to_contain_text("青山镇 · 新华村")
    expect(problem_facts).to_contain_text("2,400.00 元")
    expect(current_step(commission, "clue_receive")).to_be_visible()
    no_sideways_scrolling(commission)
    screenshot(commission, f"clue-receive-{width}")

    commission.get_by_label("处置方式").select_option(label="初步核实")
    commission.get_by_label("办理意见").fill("转案件监督管理室登记，初步核实")
    submit(commission)
    expect(commission.get_by_role("status")).to_have_text("“接收线索，确定处置方式”已办理完毕")

    # The outcome: the money the unit already recorded is shown beside the form.
    row = inbox_row(commission, number)
    expect(row).to_contain_text("录入处置结果")
    row.get_by_role("link", name="办理").click()
    expect(commission.get_by_role("heading", name="录入处置结果")).to_be_visible()
    expect(commission.locator("aside")).to_contain_text(
        "整改单位已登记：追缴收回 0.00 元，返还发放 0.00 元"
    )
    commission.get_by_label("办理状态").select_option(label="已办结，录入最终结果")
    commission.get_by_label("党纪处分：警告（人数）").fill("1")
    commission.get_by_label("追缴收回资金金额（元，不含整改单位已登记的）").fill("2400.00")
    submit(commission)  # no 处置结果说明: refused next to it, every input kept
    expect(field(commission, "outcome_note").get_by_role("alert")).to_contain_text("必填")
    expect(commission.get_by_label("办理状态")).to_have_value("concluded")
    expect(commission.get_by_label("党纪处分：警告（人数）")).to_have_value("1")
    expect(commission.get_by_label("追缴收回资金金额（元，不含整改单位已登记的）")).to_have_value(
        "2400.00"
    )
    commission.get_by_label("处置结果说明").fill("给予村会计党内警告处分，追缴资金2400元")
    submit(commission)
    expect(commission.get_by_role("status")).to_have_text("“录入处置结果”已办理完毕")
    expect(inbox_row(commission, number)).to_have_count(0)

    # The problem's page shows the clue concluded, to the office that signs it off.
    office = open_as("ldxz_ban")
    office.set_viewport_size({"width": width, "height": 900})
    office.get_by_role("navigation").get_by_role("link", name="问题台账").click()
    office.get_by_placeholder(re.compile("编号")).first.fill(number)
    office.keyboard.press("Enter")
    office.get_by_role("link", name=number).first.click()
    expect(office.get_by_role("heading", name=f"问题 {number}")).to_be_visible()
    expect(office.get_by_text(SUMMARY)).to_be_visible()
    expect(office.get_by_text(re.compile(r"XS-\d{4}-\d{4} · 已办结"))).to_be_visible()
    no_sideways_scrolling(office)


def no_sideways_scrolling(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow}px wider than the window"
