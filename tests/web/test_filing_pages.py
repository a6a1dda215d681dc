"""报送与留档 on the reports page and the API: filing with a confirmation, the list, the
download as filed, the changes since, and who may do what."""

from __future__ import annotations

import io
from collections.abc import Callable

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import accounts, problems
from campaign.models import ReportFiling, User
from campaign.workflow_host import CampaignHost
from tests.campaign.conftest import registration
from tests.ledger_helpers import approve_registrations
from tests.web_helpers import csrf_token, form_tokens, login

Client = Callable[[str], FlaskClient]
DEMO_PASSWORD = "Demo@2022ykt"
PAGE = "/reports/?unit=QSZ"

pytestmark = pytest.mark.usefixtures("june_2022")


def _user(session: Session, name: str) -> User:
    return session.scalars(select(User).where(User.username == name)).one()


def _register(session: Session, amount: str) -> None:
    host = CampaignHost()
    problem = problems.register(
        session, host, _user(session, "qsz_jbr"), "QSZ", registration(amount=amount)
    )
    approve_registrations(session, host, [problem])


def _file(client: FlaskClient, **form: str) -> str:
    tokens = form_tokens(client, PAGE)
    data = {"unit": "QSZ", "table": "attachment2", "reviewer": "ldxz_fzr", "confirm": "yes"}
    response = client.post("/reports/filings", data={**tokens, **data, **form})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert response.headers["Location"].endswith("/reports/?unit=QSZ#filing")
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _signed_in(app: Flask, username: str) -> FlaskClient:
    """A browser of its own, signed in as the user."""
    client = app.test_client()
    assert login(client, username, DEMO_PASSWORD).status_code == 302
    return client


def _filed(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ReportFiling)) or 0


def test_the_office_files_and_sees_the_changes_since(db_session: Session, as_user: Client) -> None:
    _register(db_session, "3600.00")
    client = as_user("ldxz_ban")
    page = client.get(PAGE).get_data(as_text=True)
    assert "报送与留档" in page and "领导小组办公室负责人（示例）（ldxz_fzr）" in page
    assert "本范围、本时段尚未报送过此表" in page

    page = _file(client)
    assert (
        "已报送附件2 问题统计表（青山镇，第 1 次报送，审核人：领导小组办公室负责人（示例））"
        in page
    )
    assert "与第 1 次报送（2022-06-15" in page and "没有变化" in page
    assert "下载 Excel" in page and "第 1 次" in page

    _register(db_session, "1234.56")
    page = client.get(PAGE).get_data(as_text=True)
    # 3,600.00 元 → 4,834.56 元 in P11 × S02 and in 合计: two cells.
    assert "2 个单元格有变化" in page
    assert page.count("0.3600 万元") == 2 and page.count("0.4835 万元") == 2
    assert 'title="3,600.00 元"' in page and "（4,834.56 元）" in page

    filing_id = db_session.scalars(select(ReportFiling.id)).one()
    detail = client.get(f"/reports/filings/{filing_id}").get_data(as_text=True)
    assert "校验通过" in detail and "审核人" in detail and "2 个单元格有变化" in detail
    download = client.get(f"/reports/filings/{filing_id}.xlsx")
    assert download.status_code == 200
    assert download.data == db_session.get(ReportFiling, filing_id).workbook  # type: ignore[union-attr]
    sheet = openpyxl.load_workbook(io.BytesIO(download.data)).active
    printed = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "审核人：领导小组办公室负责人（示例）" in printed


def test_filing_needs_the_confirmation_and_refuses_the_same_figures(
    db_session: Session, as_user: Client
) -> None:
    _register(db_session, "3600.00")
    client = as_user("ldxz_ban")
    page = _file(client, confirm="")
    assert "未报送：" in page and "确认报送" in page and _filed(db_session) == 0
    page = _file(client, reviewer="ldxz_ban")
    assert "审核人不能是填表人本人" in page and _filed(db_session) == 0
    _file(client)
    page = _file(client)
    assert "无需重复报送" in page and _filed(db_session) == 1


def test_the_same_form_sent_twice_files_once(db_session: Session, as_user: Client) -> None:
    _register(db_session, "3600.00")
    client = as_user("ldxz_ban")
    tokens = form_tokens(client, PAGE)
    data = {**tokens, "unit": "QSZ", "table": "attachment3", "reviewer": "qsz_fzr"}
    data["confirm"] = "yes"
    assert client.post("/reports/filings", data=data).status_code == 302
    again = client.post("/reports/filings", data=data, follow_redirects=True)
    assert "该表单已经提交过" in again.get_data(as_text=True)
    assert _filed(db_session) == 1


def test_a_unit_sees_its_filings_but_may_not_file(
    db_session: Session, as_user: Client, app: Flask
) -> None:
    _register(db_session, "3600.00")
    office = as_user("ldxz_ban")
    _file(office)
    tokens = form_tokens(office, "/reports/?unit=BSZ")
    refused = office.post(
        "/reports/filings",
        data={**tokens, "unit": "BSZ", "table": "attachment2", "reviewer": "ldxz_fzr"}
        | {"confirm": "yes"},
        follow_redirects=True,
    )
    assert "各项均为零，没有可报送的数字" in refused.get_data(as_text=True)
    filing_id = db_session.scalars(select(ReportFiling.id)).one()

    head = _signed_in(app, "qsz_fzr")
    page = head.get("/reports/").get_data(as_text=True)
    assert "报送与留档" in page and f"#{filing_id}" in page
    assert 'action="/reports/filings"' not in page
    assert head.get(f"/reports/filings/{filing_id}.xlsx").status_code == 200
    csrf = {"csrf_token": csrf_token(head, "/reports/")}
    assert head.post("/reports/filings", data={**csrf, "unit": "QSZ"}).status_code == 404
    assert _filed(db_session) == 1
    other = _signed_in(app, "jjw_jc")
    assert other.get(f"/reports/filings/{filing_id}.xlsx").status_code == 404


def test_the_api_lists_describes_and_serves_filings(
    db_session: Session, app: Flask, client: FlaskClient
) -> None:
    _register(db_session, "3600.00")
    _file(_signed_in(app, "ldxz_ban"))
    filed = db_session.scalars(select(ReportFiling)).one()
    office = {
        "Authorization": "Bearer " + accounts.issue_token(db_session, _user(db_session, "ldxz_ban"))
    }
    listed = client.get("/api/v1/reports/filings?unit=QSZ", headers=office).get_json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert (item["table"], item["unit"], item["version"], item["reviewer"]) == (
        "attachment2",
        "QSZ",
        1,
        "领导小组办公室负责人（示例）",
    )
    assert item["figures_sha256"] == filed.figures_sha256
    _register(db_session, "1.00")
    one = client.get(f"/api/v1/reports/filings/{filed.id}", headers=office).get_json()
    assert one["verified"] is True
    assert {(c["row"], c["column"], c["filed"], c["current"]) for c in one["changes"]} == {
        ("P11", "S02", 360000, 360100),
        ("", "S02", 360000, 360100),
    }
    download = client.get(f"/api/v1/reports/filings/{filed.id}.xlsx", headers=office)
    assert download.status_code == 200 and download.data == filed.workbook
    assert client.get("/api/v1/reports/filings").status_code == 401
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/reports/filings", "/reports/filings/{id}", "/reports/filings/{id}.xlsx"} <= set(
        spec["paths"]
    )
    bsz = {
        "Authorization": "Bearer " + accounts.issue_token(db_session, _user(db_session, "qsz_jbr"))
    }
    assert client.get("/api/v1/reports/filings?unit=BSZ", headers=bsz).get_json()["total"] == 0
