"""发起流程 and the case page, and the API's cases and messages: status codes, the one error
shape, Idempotency-Key, what a waiting case shows it waits for."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import deployment
from campaign.models import AuditEvent
from campaign.workflow_host import CampaignHost
from tests.campaign import case_diagrams
from tests.web.conftest import DEMO_PASSWORD
from tests.web.test_api import token
from tests.web_helpers import form_tokens, login

pytestmark = pytest.mark.usefixtures("june_2022")
MATTER = {"subject": "核实退回资金", "reference": "2022-QSZ-0001"}


@pytest.fixture(autouse=True)
def _processes(db_session: Session) -> None:
    for xml in (case_diagrams.waiter(), case_diagrams.plain()):
        deployment.deploy(db_session, CampaignHost(), xml, by_name="测试", source="test")


def test_start_a_case_and_read_what_it_waits_for(db_session: Session, client: FlaskClient) -> None:
    officer = token(db_session, "qsz_jbr")
    body = {"process": "matter_waiter", "unit": "QSZ", "data": MATTER}
    created = client.post("/api/v1/cases", headers=officer, json=body)
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    assert answer["status"] == "waiting" and created.headers["Location"].endswith(
        f"/api/v1/cases/{answer['id']}"
    )
    shown = client.get(f"/api/v1/cases/{answer['id']}", headers=officer).get_json()
    assert shown["waiting_for"] == [
        {
            "kind": "message",
            "step": "wait",
            "title": "等待退回通知",
            "message": "资金已退回",
            "key": "2022-QSZ-0001",
        }
    ]
    assert shown["history"][0]["kind"] == "started"
    # Another unit's officer does not see it.
    other = client.get(f"/api/v1/cases/{answer['id']}", headers=token(db_session, "zb1_cy"))
    assert other.status_code == 404


def test_start_refusals_in_the_one_error_shape(db_session: Session, client: FlaskClient) -> None:
    officer = token(db_session, "qsz_jbr")
    post = lambda body: client.post("/api/v1/cases", headers=officer, json=body)  # noqa: E731
    unknown = post({"process": "nope", "unit": "QSZ"})
    assert unknown.status_code == 404 and unknown.get_json()["error"] == "流程定义不存在：nope"
    denied = client.post(
        "/api/v1/cases",
        headers=token(db_session, "qsz_fzr"),
        json={"process": "matter_waiter", "unit": "QSZ", "data": MATTER},
    )
    assert denied.status_code == 403 and "本单位经办人" in denied.get_json()["error"]
    bad = post({"process": "matter_waiter", "unit": "QSZ", "data": {"subject": ""}})
    assert bad.status_code == 422 and bad.get_json()["fields"]["subject"] == "事项名称：必填"
    wrong = post({"process": "matter_plain", "unit": "QSZ", "data": "text"})
    assert wrong.status_code == 400 and "JSON 对象" in wrong.get_json()["error"]
    shape = client.post("/api/v1/cases", headers=officer, data="not json")
    assert shape.status_code == 400 and "error" in shape.get_json()
    refused = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "case.start", AuditEvent.success.is_(False))
    ).all()
    assert {r.actor_name for r in refused} == {"qsz_jbr", "qsz_fzr"}


def test_idempotency_key_starts_once(db_session: Session, client: FlaskClient) -> None:
    officer = {**token(db_session, "qsz_jbr"), "Idempotency-Key": "start-1"}
    body = {"process": "matter_plain", "unit": "QSZ"}
    first = client.post("/api/v1/cases", headers=officer, json=body)
    again = client.post("/api/v1/cases", headers=officer, json=body)
    assert first.status_code == 201 and again.status_code == 409
    assert again.get_json()["location"] == first.headers["Location"]


def test_messages_from_outside(db_session: Session, client: FlaskClient) -> None:
    officer, office = token(db_session, "qsz_jbr"), token(db_session, "ldxz_ban")
    ids = [
        client.post(
            "/api/v1/cases",
            headers=officer,
            json={"process": "matter_waiter", "unit": "QSZ", "data": MATTER},
        ).get_json()["id"]
        for _ in range(2)
    ]
    send = lambda headers, body: client.post("/api/v1/messages", headers=headers, json=body)  # noqa: E731
    message = {"name": "资金已退回", "key": "2022-QSZ-0001", "data": {"amount_back": 5}}
    assert send(officer, message).status_code == 403
    assert send(office, {**message, "data": [1]}).status_code == 400
    assert send(office, {**message, "key": 7}).status_code == 422
    nobody = send(office, {**message, "key": "2022-QSZ-0404"})
    assert nobody.status_code == 404 and "没有案件在等待" in nobody.get_json()["error"]

    keyed = {**office, "Idempotency-Key": "msg-1"}
    done = send(keyed, message)
    assert done.status_code == 200
    assert done.get_json() | {"message": ""} == {
        "result": "delivered",
        "message": "",
        "delivered": ids,
        "started": [],
    }
    assert send(keyed, message).status_code == 409  # the same request again: told, not redone
    assert send(office, message).status_code == 404  # a new one: nobody waits any more
    shown = client.get(f"/api/v1/cases/{ids[0]}", headers=officer).get_json()
    assert shown["status"] == "running" and shown["waiting_for"] == []
    assert [t["step"] for t in shown["open_tasks"]] == ["ack"]


def test_the_start_page_lists_starts_and_shows_the_case(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    client = as_user("qsz_jbr")
    listed = client.get("/cases/new").get_data(as_text=True)
    assert "退回资金跟踪" in listed and "简单事项" in listed and "problem_lifecycle" not in listed
    page = client.get("/cases/new/matter_waiter").get_data(as_text=True)
    assert "事项名称" in page and "青山镇" in page
    refused = client.post(
        "/cases/new/matter_waiter",
        data={**form_tokens(client, "/cases/new/matter_waiter"), "unit": "QSZ", "subject": ""},
    )
    assert refused.status_code == 422 and "事项名称：必填" in refused.get_data(as_text=True)
    tokens = form_tokens(client, "/cases/new/matter_waiter")
    started = client.post("/cases/new/matter_waiter", data={**tokens, "unit": "QSZ", **MATTER})
    assert started.status_code == 302
    case_page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "等待消息“资金已退回”（关联键 2022-QSZ-0001）" in case_page
    again = client.post("/cases/new/matter_waiter", data={**tokens, "unit": "QSZ", **MATTER})
    assert again.status_code in (302, 409)
    assert client.get("/cases/new/problem_lifecycle").status_code == 404


def test_the_reviewer_has_nothing_to_start(as_user: Callable[[str], FlaskClient]) -> None:
    page = as_user("qsz_fzr").get("/cases/new").get_data(as_text=True)
    assert "目前没有您可以发起的流程" in page


def test_the_menu_offers_starting_only_to_who_may_start(app: Flask) -> None:
    link = 'href="/cases/new"'
    for username, offered in (("qsz_jbr", True), ("qsz_fzr", False)):
        person = app.test_client()
        assert login(person, username, DEMO_PASSWORD).status_code == 302
        assert (link in person.get("/inbox/").get_data(as_text=True)) is offered
        assert person.get("/cases/new").status_code == 200
