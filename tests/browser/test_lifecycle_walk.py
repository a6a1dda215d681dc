"""One problem's whole life in Chromium, each step by the person whose work it is, asserting
what each decision page shows: registered by the officer, approved by the reviewer,
rectified with evidence after a refused first attempt that keeps every input and the file,
signed off by the office with what was done in view, its public text drafted by the officer
and approved by the office as the public will read it (masked), closed, and listed on the
public page. Screenshots of each decision page go to test-artifacts/screenshots."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_clue_walk import approve_registration, no_sideways_scrolling
from tests.browser.test_daily_work import (
    current_step,
    field,
    inbox_row,
    register_problem,
    submit,
    tiny_png,
)

pytestmark = pytest.mark.browser

OpenAs = Callable[[str], Page]
MEASURES = "已补发新华村2户低保金共2,400元，群众签字确认"
PUBLIC_TEXT = "新华村2户低保金延迟发放问题已整改，资金已补发到户（户主身份证420704198801011234）"


def open_task(page: Page, number: str, step: str) -> None:
    row = inbox_row(page, number)
    expect(row).to_contain_text(step)
    row.get_by_role("link", name="办理").click()
    expect(page.get_by_role("heading", name=step)).to_be_visible()


def test_a_problem_lives_from_registration_to_the_public_page(open_as: OpenAs) -> None:
    officer = open_as("qsz_jbr")
    number = register_problem(officer, "新华村2户低保金延迟两个月发放（全流程）", "2400.00")
    approve_registration(open_as("qsz_fzr"), number)

    # Rectification: the first attempt lacks the completion date; nothing is lost.
    open_task(officer, number, "整改落实，提交佐证")
    officer.get_by_label("办理方式").select_option(label="整改完成，提交销号审核")
    officer.get_by_label("整改落实情况").fill(MEASURES)
    officer.get_by_label("返还发放资金（元）：补发、退还给应享受群众的").fill("2400.00")
    evidence = FilePayload(name="补发签收单.png", mimeType="image/png", buffer=tiny_png())
    officer.get_by_label("整改佐证材料").set_input_files(files=[evidence])
    submit(officer)
    expect(field(officer, "completed_on").get_by_role("alert")).to_contain_text("必填")
    expect(officer.get_by_label("整改落实情况")).to_have_value(MEASURES)
    expect(officer.get_by_label("返还发放资金（元）：补发、退还给应享受群众的")).to_have_value(
        "2400.00"
    )
    kept = officer.get_by_role("checkbox", name="补发签收单.png")  # the file is kept, chosen
    expect(kept).to_be_checked()
    completed = officer.get_by_label("整改完成日期")
    completed.fill(completed.get_attribute("max") or "")
    submit(officer)
    expect(officer.get_by_role("status")).to_have_text("“整改落实，提交佐证”已办理完毕")

    # Sign-off: the office sees what was done, the money and the evidence.
    office = open_as("ldxz_ban")
    open_task(office, number, "销号审核")
    expect(current_step(office, "signoff")).to_be_visible()
    facts = office.locator("aside dl.facts")
    expect(facts).to_contain_text(MEASURES)
    expect(facts).to_contain_text("0.00 元 / 2,400.00 元")
    expect(office.get_by_role("link", name="补发签收单.png")).to_be_visible()
    screenshot(office, "walk-signoff")
    office.get_by_label("审核结果").select_option(label="整改到位，同意销号")
    submit(office)
    expect(office.get_by_role("status")).to_have_text("“销号审核”已办理完毕")

    # The public text: drafted by the officer, approved by the office as it will be shown.
    open_task(officer, number, "拟定公示内容")
    officer.get_by_label("公示内容").fill(PUBLIC_TEXT)
    submit(officer)
    expect(officer.get_by_role("status")).to_have_text("“拟定公示内容”已办理完毕")
    open_task(office, number, "公示审批")
    screenshot(office, "walk-approve-disclosure")
    # The draft as typed beside the text as the public will read it, masked.
    public = office.locator("dt", has_text="公示后").locator("xpath=following-sibling::dd[1]")
    expect(public).to_contain_text("户主身份证42**********1234")
    expect(public).not_to_contain_text("420704198801011234")
    office.get_by_label("审批结果").select_option(label="同意公示")
    submit(office)
    expect(office.get_by_role("status")).to_have_text("“公示审批”已办理完毕")

    # Closing, then the public page lists it, masked.
    open_task(office, number, "确认销号")
    office.get_by_label("销号说明").fill("整改到位，公示无异议")
    submit(office)
    expect(office.get_by_role("status")).to_have_text("“确认销号”已办理完毕")
    office.goto(office.url.split("/inbox")[0] + "/public/")
    listed = office.get_by_text("新华村2户低保金延迟发放问题已整改").first
    expect(listed).to_be_visible()
    expect(office.get_by_text("420704198801011234")).to_have_count(0)


@pytest.mark.parametrize("width", [390])
def test_the_sign_off_page_fits_a_phone(open_as: OpenAs, width: int) -> None:
    officer = open_as("qsz_jbr")
    number = register_problem(officer, "新华村1户低保金延迟发放（手机销号审核）", "600.00")
    approve_registration(open_as("qsz_fzr"), number)
    open_task(officer, number, "整改落实，提交佐证")
    officer.get_by_label("办理方式").select_option(label="整改完成，提交销号审核")
    officer.get_by_label("整改落实情况").fill("已补发")
    officer.get_by_label("返还发放资金（元）：补发、退还给应享受群众的").fill("600.00")
    completed = officer.get_by_label("整改完成日期")
    completed.fill(completed.get_attribute("max") or "")
    evidence = FilePayload(name="签收单.png", mimeType="image/png", buffer=tiny_png())
    officer.get_by_label("整改佐证材料").set_input_files(files=[evidence])
    submit(officer)
    office = open_as("ldxz_ban")
    office.set_viewport_size({"width": width, "height": 900})
    open_task(office, number, "销号审核")
    expect(office.locator("aside dl.facts")).to_contain_text("已补发")
    no_sideways_scrolling(office)
    screenshot(office, f"walk-signoff-{width}")
