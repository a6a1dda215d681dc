"""The ledger's Excel template, upload (all or nothing) through the web."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import lxml.html
import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import problems, reports
from campaign.models import Problem, User
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.conftest import registration
from tests.reports.sheets import good_row, records, workbook
from tests.web_helpers import csrf_token, login

Client = Callable[[str], FlaskClient]


pytestmark = pytest.mark.usefixtures("june_2022")


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Problem)) or 0


def _upload(client: FlaskClient, content: bytes, name: str = "台账.xlsx") -> tuple[int, str]:
    token = csrf_token(client, "/ledger/import")
    response = client.post(
        "/ledger/import",
        content_type="multipart/form-data",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
    )
    return response.status_code, response.get_data(as_text=True)


def test_the_template_has_the_ledger_sheet(as_user: Client) -> None:
    response = as_user("qsz_jbr").get("/ledger/template.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data))["问题台账"]
    assert sheet["A1"].value == "问题来源" and sheet["O1"].value == "整改时限"


def test_a_downloaded_ledger_imports_again_and_a_bad_one_stores_nothing(
    db_session: Session, as_user: Client
) -> None:
    officer = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    problems.register(db_session, CampaignHost(), officer, "QSZ", registration())
    buffer = io.BytesIO()
    scope = reports.report_scope(db_session, unit_code="QSZ")
    assert reports.export_ledger(db_session, scope, buffer) == 1
    client = as_user("qsz_jbr")

    workbook = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    [entry] = records(workbook["问题台账"])
    entry["涉及金额（元）"].value = "-5"
    entry["村（社区）"].value = "白沙村"
    bad = io.BytesIO()
    workbook.save(bad)
    status, page = _upload(client, bad.getvalue())
    assert status == 422 and "未导入" in page and "第 2 行" not in page
    assert "涉及金额" in page and "村（社区）" in page
    assert _count(db_session) == 1

    status, page = _upload(client, b"this is not a spreadsheet", "台账.xlsx")
    assert status == 422 and _count(db_session) == 1

    status, page = _upload(client, buffer.getvalue())
    assert status == 200 and "已导入 1 条问题" in page and "2022-QSZ-0002" in page
    note = lxml.html.fromstring(page).get_element_by_id("import-ignored").text_content()
    assert note.startswith("以下列不导入：台账编号、整改类型、整改措施、状态")
    db_session.expire_all()
    assert _count(db_session) == 2


def test_the_ledger_download_holds_exactly_the_rows_shown(
    db_session: Session, as_user: Client, app: Flask
) -> None:
    officer = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    host = CampaignHost()
    problems.register(db_session, host, officer, "QSZ", registration(description="截留低保金"))
    problems.register(db_session, host, officer, "QSZ", registration(description="多收手续费"))
    client = as_user("qsz_jbr")
    everything = openpyxl.load_workbook(io.BytesIO(client.get("/ledger/export.xlsx").data))
    assert everything["问题台账"].max_row == 3
    filtered = client.get("/ledger/export.xlsx?q=手续费")
    sheet = openpyxl.load_workbook(io.BytesIO(filtered.data))["问题台账"]
    assert sheet.max_row == 2 and records(sheet)[0]["问题描述"].value == "多收手续费"
    outsider = app.test_client()
    login(outsider, "jjw_jc", "Demo@2022ykt")
    assert (
        openpyxl.load_workbook(io.BytesIO(outsider.get("/ledger/export.xlsx").data))[
            "问题台账"
        ].max_row
        == 1
    )


def test_the_review_of_an_imported_entry_starts_from_the_proposed_responsibility(
    db_session: Session, as_user: Client, app: Flask
) -> None:
    row = good_row(**{"责任单位": "青山镇", "责任人": "王主任", "整改时限": date(2022, 7, 31)})
    status, page = _upload(as_user("qsz_jbr"), workbook([row]).getvalue())
    assert status == 200 and "已导入 1 条问题" in page
    db_session.expire_all()
    item_id = db_session.scalars(
        select(WorkItem.id)
        .join(Problem, Problem.case_id == WorkItem.case_id)
        .where(Problem.number == "2022-QSZ-0001", WorkItem.state == "open")
    ).one()
    reviewer = app.test_client()
    assert login(reviewer, "qsz_fzr", "Demo@2022ykt").status_code == 302
    html = lxml.html.fromstring(reviewer.get(f"/tasks/{item_id}").get_data())
    (form,) = html.xpath('//form[@enctype="multipart/form-data"]')
    assert form.fields["responsible_unit"] == "QSZ"
    assert form.fields["responsible_person"] == "王主任"
    assert form.fields["deadline"] == "2022-07-31"
    assert form.fields["review_decision"] in ("", None)  # the decision is the reviewer's


@pytest.mark.parametrize(("username", "offered"), [("qsz_jbr", True), ("jjw_jc", False)])
def test_register_and_import_are_offered_to_whoever_may_register(
    as_user: Client, username: str, offered: bool
) -> None:
    """The commission registers for no unit: its ledger offered 登记问题 and 从 Excel 导入,
    which led to "您没有可以登记问题的单位"."""
    page = as_user(username).get("/ledger").get_data(as_text=True)
    assert ('href="/ledger/import"' in page) is offered
    assert ("登记问题</a>" in page) is offered
    assert "下载整改台账" in page  # the ledger is still theirs to read and download


def test_a_sheet_of_many_bad_rows_names_the_first_thousand(
    db_session: Session, as_user: Client
) -> None:
    # 1,200 rows each refused in one column: the page named all 1,200 (a user's 20,000 junk
    # rows made 240,000 table rows no browser could show); it names the first 1,000 and
    # says how many there are in all.
    rows = [good_row(**{"涉及金额（元）": "-5"}) for _ in range(1200)]
    status, page = _upload(as_user("qsz_jbr"), workbook(rows).getvalue())
    assert status == 422
    tree = lxml.html.fromstring(page)
    assert tree.xpath("//h2")[0].text_content().startswith("未导入：1200 处问题（共 1200 行）")
    assert len(tree.xpath("//table[@class='grid']/tbody/tr")) == 1000
    assert "以下列出前 1000 处" in tree.get_element_by_id("import-listed").text_content()
    assert _count(db_session) == 0
