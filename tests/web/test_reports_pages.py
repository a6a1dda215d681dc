"""The reports page, its drill-down and the Excel downloads, on the web and the API."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, problems
from campaign.models import User
from campaign.workflow_host import CampaignHost
from tests.campaign.conftest import registration
from tests.ledger_helpers import approve_registrations

Client = Callable[[str], FlaskClient]


pytestmark = pytest.mark.usefixtures("june_2022")


def _user(session: Session, name: str) -> User:
    return session.scalars(select(User).where(User.username == name)).one()


def _register(session: Session, amount: str) -> None:
    host = CampaignHost()
    problem = problems.register(
        session, host, _user(session, "qsz_jbr"), "QSZ", registration(amount=amount)
    )
    approve_registrations(session, host, [problem])


def test_tables_show_exact_figures_and_cells_lead_to_their_records(
    db_session: Session, as_user: Client
) -> None:
    _register(db_session, "3600.00")
    _register(db_session, "1234.56")
    client = as_user("ldxz_ban")
    page = client.get("/reports/").get_data(as_text=True)
    # 耕地地力保护补贴 (P11) × 截留挪用 (S02): 4,834.56 元 = 0.4835 万元 (rounded once)
    assert "0.4835" in page and "附件3 问题情况汇总表" in page
    cell = client.get("/reports/attachment2/cell?category=S02&programme=P11").get_data(as_text=True)
    assert "2022-QSZ-0001" in cell and "2022-QSZ-0002" in cell and "4,834.56" in cell


def test_the_excel_download_holds_numbers(db_session: Session, as_user: Client) -> None:
    _register(db_session, "3600.00")
    response = as_user("ldxz_ban").get("/reports/attachment2.xlsx?unit=QSZ")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert Decimal("0.36") in [Decimal(str(v)) for v in values if isinstance(v, (int, float))]


def test_units_see_only_their_own_scope(db_session: Session, as_user: Client) -> None:
    client = as_user("qsz_fzr")
    assert client.get("/reports/").status_code == 200
    assert client.get("/reports/?unit=BSZ").status_code == 404
    assert client.get("/reports/attachment2.xlsx?unit=LKQ").status_code == 404


def test_the_api_serves_both_tables(db_session: Session, client: FlaskClient) -> None:
    headers = {
        "Authorization": "Bearer " + accounts.issue_token(db_session, _user(db_session, "ldxz_ban"))
    }
    for name in ("attachment2", "attachment3"):
        response = client.get(f"/api/v1/reports/{name}.xlsx", headers=headers)
        assert response.status_code == 200
        assert openpyxl.load_workbook(io.BytesIO(response.data)).active.max_row > 5
    assert client.get("/api/v1/reports/attachment2.xlsx").status_code == 401


@pytest.mark.parametrize(
    ("days", "reason"),
    [
        ("from=2022-12-31&to=2022-01-01", "开始日期不能晚于结束日期"),
        ("from=2022-02-30&to=2022-06-30", "没有这一天：2022 年 2 月 30 日"),
        ("from=1999-12-31&to=2022-06-30", "统计日期须在"),
    ],
)
def test_days_that_name_no_period_keep_the_page_and_what_was_typed(
    db_session: Session, as_user: Client, days: str, reason: str
) -> None:
    """A refused period is told above the filters, which keep the days as typed and the unit
    asked for; the tables below are the unit's for no days, and say so."""
    _register(db_session, "3600.00")
    client = as_user("ldxz_ban")
    answer = client.get(f"/reports/?unit=QSZ&{days}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="error-summary"' in page and "未能统计：" in page and reason in page
    typed_from, typed_to = (part.split("=")[1] for part in days.split("&"))
    assert f'name="from" value="{typed_from}"' in page and f'name="to" value="{typed_to}"' in page
    assert '<option value="QSZ" selected>' in page and "下表为青山镇不限日期的统计" in page
    assert "附件3 问题情况汇总表" in page and "0.36" in page  # the unit's tables, no days
    assert 'class="menu' in page or "退出" in page  # the site's page, not the bare error page


def test_a_unit_not_open_shows_the_persons_own_scope_and_says_so(as_user: Client) -> None:
    answer = as_user("qsz_fzr").get("/reports/?unit=BSZ&from=2022-12-31&to=2022-01-01")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404 and "未能统计：没有可查看的统计范围" in page
    assert '<option value="QSZ" selected>' in page and "白沙" not in page.split("</form>")[0]
