"""报送管理 on the API: the overview, one report as filed, and 退回 with its refusals."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.web.test_api import token
from tests.web.test_obligation_pages import _filed_june

pytestmark = pytest.mark.usefixtures("june_2022")


def test_the_office_lists_reads_and_returns_a_report(
    db_session: Session, client: FlaskClient
) -> None:
    june = _filed_june(db_session)
    office = token(db_session, "ldxz_ban")
    listed = client.get(
        "/api/v1/obligations?obligation=monthly_report&unit=QSZ", headers=office
    ).get_json()
    states = {item["period"]: item["state_label"] for item in listed["items"]}
    assert states == {"2022-05": "逾期", "2022-06": "已报"}
    detail = client.get(f"/api/v1/obligations/{june.id}", headers=office).get_json()
    assert detail["awaiting_office"] is True
    assert {v["label"]: v["text"] for v in detail["values"]}["到村到户调查户数"] == "48"

    url = f"/api/v1/obligations/{june.id}/return"
    empty = client.post(url, headers=office, json={"reason": " "})
    assert empty.status_code == 422 and empty.get_json()["fields"] == {"reason": "请填写退回理由"}
    assert client.post(url, headers=office, json={}).status_code == 400
    keyed = {**office, "Idempotency-Key": "return-june"}
    returned = client.post(url, headers=keyed, json={"reason": "请补充"})
    assert returned.status_code == 200
    assert returned.get_json()["state"] == "returned"
    assert returned.get_json()["return_reason"] == "请补充"
    repeat = client.post(url, headers=keyed, json={"reason": "请补充"})
    assert repeat.status_code == 409 and repeat.get_json()["location"].endswith(str(june.id))
    twice = client.post(url, headers=office, json={"reason": "再退"})
    assert twice.status_code == 409 and "已退回" in twice.get_json()["error"]
    unknown = client.post("/api/v1/obligations/987654/return", headers=office, json={"reason": "x"})
    assert unknown.status_code == 404 and "报送记录不存在" in unknown.get_json()["error"]
    bad = client.get("/api/v1/obligations?state=nonsense", headers=office)
    assert bad.status_code == 400


def test_a_unit_reads_its_own_and_returns_nothing(db_session: Session, client: FlaskClient) -> None:
    june = _filed_june(db_session)
    officer = token(db_session, "qsz_jbr")
    listed = client.get("/api/v1/obligations", headers=officer).get_json()
    assert listed["items"] and {i["unit"] for i in listed["items"]} == {"QSZ"}
    assert client.get(f"/api/v1/obligations/{june.id}", headers=officer).status_code == 200
    refused = client.post(
        f"/api/v1/obligations/{june.id}/return", headers=officer, json={"reason": "x"}
    )
    assert refused.status_code == 404
