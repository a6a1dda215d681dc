"""我要举报 on the portal, the query page, and the office's pages for reports."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import tip_off_intake
from campaign.models import AuditEvent, Problem, TipOff
from engine.models import WorkItem
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import csrf_token, login

REPORT = {
    "programme": "P11",
    "township": "QSZ",
    "village": "QSZ01",
    "account": "村干部代领了我家的补贴，联系人王五，电话13812345678",
    "contact": "13912345678",
}
_CODE = re.compile(r'id="query-code">([A-Z0-9-]+)<')


def send(client: FlaskClient, **overrides: str) -> tuple[int, str]:
    data = {**REPORT, **overrides}
    data.setdefault("csrf_token", csrf_token(client, "/public/report"))
    response = client.post("/public/report", data=data)
    if response.status_code == 302:
        response = client.get(response.headers["Location"])
    return response.status_code, response.get_data(as_text=True)


def code_of(page: str) -> str:
    found = _CODE.search(page)
    assert found, page[:2000]
    return found.group(1)


def query(client: FlaskClient, code: str) -> tuple[int, str]:
    token = csrf_token(client, "/public/report/status")
    response = client.post("/public/report/status", data={"code": code, "csrf_token": token})
    return response.status_code, response.get_data(as_text=True)


def test_the_form_is_open_to_anyone_and_gives_a_query_code_once(client: FlaskClient) -> None:
    page = client.get("/public/report")
    assert page.status_code == 200 and "我要举报" in page.get_data(as_text=True)
    status, shown = send(client)
    assert status == 200 and "查询码只显示这一次" in shown
    code = code_of(shown)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    for secret in ("13812345678", "13912345678", "王五", "代领"):
        assert secret not in shown
    again = client.get("/public/report/received")  # a reload: not shown again
    assert again.status_code == 302 and again.headers["Location"].endswith("/public/report/status")
    status, page_text = query(client, code.lower())
    assert status == 200 and "已收到，待受理" in page_text
    for secret in ("13812345678", "13912345678", "王五", "代领", "JB-"):
        assert secret not in page_text


def test_the_public_index_links_to_the_form_and_the_query_page(client: FlaskClient) -> None:
    page = client.get("/public/").get_data(as_text=True)
    assert 'href="/public/report"' in page and 'href="/public/report/status"' in page


def test_missing_and_oversize_input_is_refused_beside_its_field_with_input_kept(
    client: FlaskClient,
) -> None:
    status, page = send(client, programme="", account="问" * 2001)
    assert status == 422
    assert "补贴项目：必填" in page and "不能超过 2000 个字" in page
    assert "13912345678" in page  # what was typed stays in the form, for the reporter
    status, page = send(client, township="NOPE")
    assert status == 422 and "乡镇" in page


def test_a_forged_csrf_token_is_refused_with_a_clear_message(
    client: FlaskClient, db_session: Session
) -> None:
    before = db_session.scalar(select(TipOff.id).order_by(TipOff.id.desc()).limit(1))
    status, page = send(client, csrf_token="forged")
    assert status == 400 and "页面已过期" in page
    assert db_session.scalar(select(TipOff.id).order_by(TipOff.id.desc()).limit(1)) == before


def test_the_hidden_field_refuses_robots(client: FlaskClient) -> None:
    status, page = send(client, website="http://spam.example")
    assert status == 422 and "提交未成功" in page


def test_the_next_report_from_one_address_is_refused_in_chinese_with_input_kept(
    client: FlaskClient, db_session: Session
) -> None:
    for _ in range(tip_off_intake.MAX_PORTAL_REPORTS):
        status, _page = send(client)
        assert status == 200
    status, page = send(client, account="第六次反映的问题")
    assert status == 422
    assert "24 小时内最多" in page and "第六次反映的问题" in page
    refused = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "tip_off.submit", AuditEvent.success.is_(False)
        )
    ).all()
    assert refused


def test_unknown_and_malformed_codes_get_a_clear_message_never_a_500(client: FlaskClient) -> None:
    status, page = query(client, "ABCD-EFGH-JKMN")
    assert status == 404 and "没有找到这个查询码" in page
    status, page = query(client, "x' OR 1=1 --")
    assert status == 422 and "12 位" in page
    status, page = query(client, "")
    assert status == 422
    assert client.get("/public/report/status").status_code == 200


def test_the_office_takes_a_phoned_report_and_the_phone_stays_masked(
    as_user: Callable[[str], FlaskClient], db_session: Session
) -> None:
    office = as_user("ldxz_ban")
    page = office.get("/tip-offs/new")
    assert page.status_code == 200
    token = csrf_token(office, "/tip-offs/new")
    once = re.search(r'name="once" value="([^"]+)"', page.get_data(as_text=True))
    assert once
    data = {**REPORT, "caller_phone": "13812345678", "csrf_token": token, "once": once.group(1)}
    response = office.post("/tip-offs/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    shown = office.get(response.headers["Location"]).get_data(as_text=True)
    assert "138****5678" in shown and "13812345678" not in shown
    code = re.search(r'id="query-code">([A-Z0-9-]+)<', shown)
    assert code  # read out to the caller
    listing = office.get("/tip-offs").get_data(as_text=True)
    assert "138****5678" in listing and "13812345678" not in listing
    tip_off = db_session.scalars(select(TipOff).order_by(TipOff.id.desc())).first()
    assert tip_off is not None and tip_off.channel == "phone"
    token = csrf_token(office, f"/tip-offs/{tip_off.id}")
    revealed = office.post(f"/tip-offs/{tip_off.id}/phone", data={"csrf_token": token})
    assert revealed.status_code == 200 and "13812345678" in revealed.get_data(as_text=True)


def test_a_township_officer_cannot_take_phoned_reports(
    as_user: Callable[[str], FlaskClient],
) -> None:
    officer = as_user("qsz_jbr")
    assert officer.get("/tip-offs/new").status_code in (403, 404)


def _do_task(
    app: Flask, session: Session, username: str, tip_off: TipOff, data: dict[str, str]
) -> str:
    """The open step of the report's case, done on its task page by a person signed in."""
    client = app.test_client()
    assert login(client, username, DEMO_PASSWORD).status_code == 302
    session.expire_all()
    item = session.scalars(
        select(WorkItem).where(WorkItem.case_id == tip_off.case_id, WorkItem.state == "open")
    ).one()
    page = client.get(f"/tasks/{item.id}").get_data(as_text=True)
    assert "群众举报 " + tip_off.number in page
    assert "13812345678" not in page  # the account's phone is masked on the task page
    token = csrf_token(client, f"/tasks/{item.id}")
    response = client.post(f"/tasks/{item.id}", data={**data, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return page


def test_the_whole_way_from_the_portal_to_the_answer_read_by_code(
    app: Flask, client: FlaskClient, db_session: Session, june_2022: None
) -> None:
    status, shown = send(client)
    code = code_of(shown)
    tip_off = db_session.scalars(select(TipOff).order_by(TipOff.id.desc())).first()
    assert tip_off is not None and tip_off.channel == "portal"
    _do_task(app, db_session, "ldxz_ban", tip_off, {"accept_decision": "accept"})
    _, page = query(client, code)
    assert "已受理，待分办" in page
    _do_task(
        app,
        db_session,
        "ldxz_ban",
        tip_off,
        {"responsible_unit": "QSZ", "verify_due": "2022-06-30", "feedback_due": "2022-07-05"},
    )
    _, page = query(client, code)
    assert "已分办，核实中" in page
    verify_page = _do_task(
        app,
        db_session,
        "qsz_jbr",
        tip_off,
        {
            "verdict": "true",
            "findings": "入户核实，村干部代领补贴属实",
            "programme": "P11",
            "village": "QSZ01",
            "focus_item": "3.3",
            "stat_category": "S02",
            "amount": "1200.00",
        },
    )
    assert '<option value="P11" selected' in verify_page  # pre-filled from the report
    assert '<option value="QSZ01" selected' in verify_page
    db_session.expire_all()
    problem = db_session.get(Problem, tip_off.problem_id)
    assert problem is not None and problem.source == "public_report"
    assert problem.village is not None and problem.village.code == "QSZ01"
    office = app.test_client()
    assert login(office, "ldxz_ban", DEMO_PASSWORD).status_code == 302
    entry_page = office.get(f"/problems/{problem.id}").get_data(as_text=True)
    assert f"群众举报 {tip_off.number}" in entry_page and "群众举报" in entry_page
    _do_task(
        app, db_session, "ldxz_ban", tip_off, {"feedback": "经核实属实，已责令整改并补发补贴。"}
    )
    status, page = query(client, code)
    assert status == 200 and "已反馈" in page and "已责令整改并补发补贴" in page
    for secret in ("13812345678", "13912345678", "王五", "代领", problem.number, tip_off.number):
        assert secret not in page
