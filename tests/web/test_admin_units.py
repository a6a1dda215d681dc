"""Administrators record the population of the district and townships (附件3 县总人口数)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import AuditEvent, Unit
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import csrf_token, login


def test_the_admin_sets_a_townships_population(db_session: Session, app: Flask) -> None:
    admin = app.test_client()
    assert login(admin, "admin", DEMO_PASSWORD).status_code == 302
    page = admin.get("/admin/units").get_data(as_text=True)
    assert 'aria-label="鄂州市临空经济区总人口数"' in page and 'value="186000"' in page
    assert 'aria-label="青山村总人口数"' not in page  # villages have none
    token = csrf_token(admin, "/admin/units")

    done = admin.post(
        "/admin/units/QSZ/population",
        data={"csrf_token": token, "population": "23,500"},
        follow_redirects=True,
    )
    assert "已更新 青山镇 的总人口数：23,500" in done.get_data(as_text=True)
    refused = admin.post(
        "/admin/units/QSZ/population",
        data={"csrf_token": token, "population": "两万"},
        follow_redirects=True,
    )
    shown = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "未保存青山镇的总人口数：总人口数须为整数" in shown
    assert 'value="两万" aria-label="青山镇总人口数" aria-invalid="true"' in shown  # kept
    db_session.expire_all()
    township = db_session.scalars(select(Unit).where(Unit.code == "QSZ")).one()
    assert township.population == 23_500
    audited = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "unit.population")
    ).all()
    assert [a.target for a in audited] == ["unit:QSZ"]


def test_other_roles_cannot_set_a_population(app: Flask) -> None:
    office = app.test_client()
    assert login(office, "ldxz_ban", DEMO_PASSWORD).status_code == 302
    token = csrf_token(office, "/")
    response = office.post(
        "/admin/units/QSZ/population", data={"csrf_token": token, "population": "1"}
    )
    assert response.status_code == 404


def test_a_refused_new_unit_keeps_what_was_typed(app: Flask) -> None:
    admin = app.test_client()
    assert login(admin, "admin", DEMO_PASSWORD).status_code == 302
    refused = admin.post(
        "/admin/units",
        data={
            "csrf_token": csrf_token(admin, "/admin/units"),
            "code": "QSZ",
            "name": "重复的镇",
            "kind": "township",
            "parent": "LKQ",
        },
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "未新建：单位代码已存在：QSZ" in page
    assert 'value="重复的镇"' in page and 'value="township" selected' in page
