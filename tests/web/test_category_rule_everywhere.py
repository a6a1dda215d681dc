"""One rule per statistics category, the same in the registration form, the API and the
Excel import: a 违规代管 entry needs at least one card, a money category an amount above
zero; the refusal names the field and the reason, and the form keeps what was typed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.ledger_import import import_ledger
from campaign.models import Problem
from campaign.workflow_host import CampaignHost
from tests.campaign.conftest import registration, user
from tests.reports.sheets import good_row, workbook
from tests.web.test_api import token
from tests.web_helpers import csrf_token

pytestmark = pytest.mark.usefixtures("june_2022")

CARDLESS = registration(focus_item="3.4", stat_category="S12", amount="0", cards="0")


def _entries(session: Session) -> int:
    return session.scalar(select(func.count(Problem.id))) or 0


def test_the_web_form_refuses_and_keeps_every_input(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    client = as_user("qsz_jbr")
    form = csrf_token(client, "/problems/new?unit=QSZ")
    typed = {**CARDLESS, "description": "村干部私自保管一卡通", "unit": "QSZ", "csrf_token": form}
    refused = client.post("/problems/new", data=typed)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "按张数统计，至少填写 1 张" in page
    assert "村干部私自保管一卡通" in page and 'value="2022-06-10"' in page
    assert _entries(db_session) == 0
    typed["cards"] = "5"
    assert client.post("/problems/new", data=typed).status_code == 302
    assert db_session.scalars(select(Problem)).one().cards == 5


def test_the_api_refuses_with_the_field_named(db_session: Session, client: FlaskClient) -> None:
    headers = token(db_session, "qsz_jbr")
    zero = registration(amount="0.00")
    response = client.post("/api/v1/problems", headers=headers, json={"unit": "QSZ", "data": zero})
    assert response.status_code == 422
    body = response.get_json()
    assert "涉及金额须大于 0 元" in body["fields"]["amount"]
    cardless = client.post(
        "/api/v1/problems", headers=headers, json={"unit": "QSZ", "data": CARDLESS}
    )
    assert cardless.status_code == 422 and "cards" in cardless.get_json()["fields"]
    assert _entries(db_session) == 0


def test_the_import_names_the_row_and_column(db_session: Session) -> None:
    rows = [
        good_row(),
        good_row(**{"问题类别": "S12", "整治重点": "3.4", "涉及金额（元）": 0}),
        good_row(**{"涉及金额（元）": 0}),
    ]
    host = CampaignHost()
    result = import_ledger(db_session, host, user(db_session, "ldxz_ban"), workbook(rows))
    assert not result.ok and _entries(db_session) == 0
    assert [str(e) for e in result.errors] == [
        "第 3 行“违规代管一卡通数量（张）”：违规代管“一卡通”数量按张数统计，至少填写 1 张",
        "第 4 行“涉及金额（元）”：“截留挪用”类问题按金额统计，涉及金额须大于 0 元",
    ]
