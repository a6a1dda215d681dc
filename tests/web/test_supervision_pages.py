"""专项督办 pages: issuing an order (bad input keeps every input, a double submit issues one
order), the list and its drill-down from the 督办 page, the unit's feedback on its task page,
and who sees what."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import web.common
from campaign.models import Supervision, SupervisionPart, Unit
from engine.models import WorkItem
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import csrf_token, login

ORDER: dict[str, str | list[str]] = {
    "source": "media_exposure",
    "source_ref": "某报 2022 年 6 月 10 日报道",
    "summary": "报道反映青山镇柳塘村低保金被村干部代领，请核查并反馈",
    "units": ["QSZ", "MZ"],
    "deadline": "2022-06-30",
}


def _form(client: FlaskClient) -> dict[str, str]:
    page = client.get("/supervision/new").get_data(as_text=True)
    once = re.search(r'name="once" value="([^"]+)"', page)
    assert once
    return {"csrf_token": csrf_token(client, "/supervision/new"), "once": once.group(1)}


def _orders(session: Session) -> int:
    return session.scalar(select(func.count(Supervision.id))) or 0


def test_bad_input_is_refused_beside_each_field_and_every_input_kept(
    as_user: Callable[[str], FlaskClient], db_session: Session, june_2022: None
) -> None:
    office = as_user("ldxz_ban")
    before = _orders(db_session)
    bad = {**ORDER, "deadline": "", "units": ["QSZ", "NOPE"], **_form(office)}
    response = office.post("/supervision/new", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "办理期限：必填" in page and "承办单位" in page
    assert str(ORDER["summary"]) in page and str(ORDER["source_ref"]) in page
    assert re.search(r'value="media_exposure"\s+selected', page)
    assert re.search(r'value="QSZ"\s+checked', page)
    past = {**ORDER, "deadline": "2022-06-01", **_form(office)}
    response = office.post("/supervision/new", data=past)
    assert response.status_code == 422 and "2022-06-01" in response.get_data(as_text=True)
    assert _orders(db_session) == before


def test_a_double_submit_issues_one_order(
    as_user: Callable[[str], FlaskClient], db_session: Session, june_2022: None
) -> None:
    office = as_user("ldxz_ban")
    before = _orders(db_session)
    data = {**ORDER, **_form(office)}
    first = office.post("/supervision/new", data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    second = office.post("/supervision/new", data=data)
    assert second.status_code in (302, 409)
    assert _orders(db_session) == before + 1
    shown = office.get(first.headers["Location"]).get_data(as_text=True)
    assert "青山镇" in shown and "区民政部门" in shown and "待反馈" in shown


def test_the_figures_on_the_supervision_page_drill_down_to_the_parts(
    as_user: Callable[[str], FlaskClient], db_session: Session, june_2022: None
) -> None:
    office = as_user("ldxz_ban")
    office.post("/supervision/new", data={**ORDER, **_form(office)})
    page = office.get("/supervise/").get_data(as_text=True)
    assert "专项督办（领导批示、媒体曝光）" in page
    link = "/supervision?source=media_exposure&amp;state=feedback"
    assert link in page
    listed = office.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert listed.count("DB-2022-") >= 2 and "待反馈" in listed
    none_late = office.get("/supervision?state=overdue").get_data(as_text=True)
    assert "暂无督办事项" in none_late
    assert office.get("/supervision?state=bogus&source=x").status_code == 200
    # A unit that names none lists nothing as if it were every unit's.
    assert office.get("/supervision?unit=abc").status_code == 404
    qsz = db_session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
    mine = office.get(f"/supervision?unit={qsz.id}").get_data(as_text=True)
    assert "承办单位：青山镇" in mine


def test_the_unit_feeds_back_on_its_task_page_and_sees_only_its_part(
    app: Flask, as_user: Callable[[str], FlaskClient], db_session: Session, june_2022: None
) -> None:
    office = as_user("ldxz_ban")
    response = office.post("/supervision/new", data={**ORDER, **_form(office)})
    order_path = response.headers["Location"]
    order = db_session.scalars(select(Supervision).order_by(Supervision.id.desc())).first()
    assert order is not None
    qsz = next(p for p in order.parts if p.unit.code == "QSZ")
    unit = app.test_client()
    assert login(unit, "qsz_jbr", DEMO_PASSWORD).status_code == 302
    mine = unit.get(order_path).get_data(as_text=True)
    assert "青山镇" in mine and "区民政部门" not in mine
    assert "区民政部门" not in unit.get("/supervision").get_data(as_text=True)
    assert unit.get("/supervision/new").status_code in (403, 404)
    item = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == qsz.case_id, WorkItem.state == "open")
    ).one()
    task = unit.get(f"/tasks/{item.id}").get_data(as_text=True)
    assert order.number in task
    token = csrf_token(unit, f"/tasks/{item.id}")
    empty = unit.post(f"/tasks/{item.id}", data={"feedback": "", "csrf_token": token})
    assert empty.status_code == 422 and "办理情况：必填" in empty.get_data(as_text=True)
    done = unit.post(
        f"/tasks/{item.id}", data={"feedback": "已核查，代领属实，已追回", "csrf_token": token}
    )
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    db_session.expire_all()
    part = db_session.get(SupervisionPart, qsz.id)
    assert part is not None and part.status == "review"
    assert "已反馈，待审核" in office.get(order_path).get_data(as_text=True)


def test_the_list_goes_a_page_at_a_time_keeping_its_filters(
    as_user: Callable[[str], FlaskClient],
    db_session: Session,
    june_2022: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It was cut at 500 rows, saying nothing of the rest: now pages, each saying which rows."""
    monkeypatch.setattr(web.common, "LIST_PER_PAGE", 3)
    office = as_user("ldxz_ban")
    for n in range(3):  # six parts, the newest order first
        office.post("/supervision/new", data={**ORDER, "summary": f"第{n}号督办", **_form(office)})
    first = office.get("/supervision?source=media_exposure").get_data(as_text=True)
    assert "共 6 项；本页第 1–3 项" in first and first.count("第2号督办") == 2
    assert "第0号督办" not in first
    next_link = re.search(r'<a href="(/supervision\?[^"]*page=2[^"]*)">下一页</a>', first)
    assert next_link and "source=media_exposure" in next_link.group(1)
    second = office.get(next_link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "本页第 4–6 项" in second and second.count("第0号督办") == 2
    assert "第2号督办" not in second
    beyond = office.get("/supervision?page=9").get_data(as_text=True)
    assert "没有第 9 页" in beyond
