"""Administrators record the population of the district and townships (附件3 县总人口数)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import org
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


Client = Callable[[str], FlaskClient]
ROW_NAME = re.compile(r'<td class="name" style="--depth: \d+">([^<]+)')


def test_the_tree_is_shown_a_page_at_a_time_in_tree_order(
    db_session: Session, as_user: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("web.admin.units.UNITS_PER_PAGE", 10)
    admin = as_user("admin")
    every = [unit.name for unit in org.all_units(db_session)]
    shown: list[str] = []
    for number in range(1, -(-len(every) // 10) + 1):
        page = admin.get(f"/admin/units?page={number}").get_data(as_text=True)
        shown += ROW_NAME.findall(page)
    assert shown == every
    first = admin.get("/admin/units").get_data(as_text=True)
    assert f"共 {len(every)} 个单位；本页第 1–10 个单位" in first and "page=2" in first
    assert admin.get("/admin/units?page=0").status_code == 400
    assert ROW_NAME.findall(admin.get("/admin/units?page=999").get_data(as_text=True)) == []


def test_units_are_found_by_name_or_code_and_kind(db_session: Session, as_user: Client) -> None:
    admin = as_user("admin")
    found = admin.get("/admin/units?q=青山").get_data(as_text=True)
    names = ROW_NAME.findall(found)
    assert "青山镇" in names and all("青山" in name for name in names)
    assert '<div class="hint">青山镇</div>' in found  # a match says where it sits
    by_code = ROW_NAME.findall(admin.get("/admin/units?q=qsz0").get_data(as_text=True))
    villages = db_session.scalars(
        select(Unit.name).where(Unit.code.like("QSZ0%")).order_by(Unit.sort_order, Unit.code)
    ).all()
    assert sorted(by_code) == sorted(villages) and by_code
    kind = admin.get("/admin/units?kind=township").get_data(as_text=True)
    townships = db_session.scalars(select(Unit.name).where(Unit.kind == "township")).all()
    assert sorted(ROW_NAME.findall(kind)) == sorted(townships)
    # An unknown kind lists every kind; a long search is cut, not refused.
    everything = ROW_NAME.findall(admin.get("/admin/units").get_data(as_text=True))
    assert ROW_NAME.findall(admin.get("/admin/units?kind=planet").get_data(as_text=True)) == (
        everything
    )
    assert admin.get("/admin/units?q=" + "镇" * 300).status_code == 200


def test_a_population_saved_from_a_search_returns_to_it(
    db_session: Session, as_user: Client
) -> None:
    admin = as_user("admin")
    listed = admin.get("/admin/units?q=青山&kind=township").get_data(as_text=True)
    assert '<input type="hidden" name="list_q" value="青山">' in listed
    assert '<input type="hidden" name="list_kind" value="township">' in listed
    token = csrf_token(admin, "/admin/units?q=青山")
    where = {"list_q": "青山", "list_kind": "township"}
    done = admin.post(
        "/admin/units/QSZ/population",
        data={"csrf_token": token, "population": "23500", **where},
    )
    assert done.status_code == 302
    assert done.headers["Location"] == "/admin/units?q=%E9%9D%92%E5%B1%B1&kind=township"
    # Refused, the unit's row is shown with what was typed, and its forms still return to
    # the search it came from.
    again = admin.post(
        "/admin/units/QSZ/population",
        data={"csrf_token": token, "population": "两万", **where},
    )
    shown = again.get_data(as_text=True)
    assert again.status_code == 422 and 'value="两万"' in shown
    assert '<input type="hidden" name="list_q" value="青山">' in shown
    for bad in ("x", "²", "0"):
        refused = admin.post(
            "/admin/units/QSZ/population",
            data={"csrf_token": token, "population": "1", "list_page": bad},
        )
        assert refused.status_code == 400, bad
    db_session.expire_all()
    assert db_session.scalars(select(Unit).where(Unit.code == "QSZ")).one().population == 23_500


def test_a_new_unit_keeps_its_own_kind_when_made_from_a_filtered_list(
    db_session: Session, as_user: Client
) -> None:
    admin = as_user("admin")
    token = csrf_token(admin, "/admin/units?kind=township")
    made = admin.post(
        "/admin/units",
        data={
            "csrf_token": token,
            "code": "QSZ77",
            "name": "新建村",
            "kind": "village",
            "parent": "QSZ",
            "list_kind": "township",
        },
    )
    assert made.status_code == 302 and made.headers["Location"] == "/admin/units?kind=township"
    unit = db_session.scalars(select(Unit).where(Unit.code == "QSZ77")).one()
    assert unit.kind == "village" and unit.parent is not None and unit.parent.code == "QSZ"


def test_a_new_unit_goes_below_any_unit_but_a_village(as_user: Client) -> None:
    page = as_user("admin").get("/admin/units").get_data(as_text=True)
    parents = page[page.index('<select name="parent">') :]
    parents = parents[: parents.index("</select>")]
    assert 'value="QSZ"' in parents and 'value="QSZ01"' not in parents


def test_the_trees_rows_agree_with_its_units(db_session: Session) -> None:
    org.add_unit(db_session, "QSZ99", "新建村", "village", "QSZ")  # sort order after the others
    rows, units = org.unit_tree(db_session), org.all_units(db_session)
    assert [(r.id, r.code, r.depth, r.parent_name, r.kind_label) for r in rows] == [
        (u.id, u.code, org.depth_of(u), u.parent.name if u.parent else "", u.kind_label)
        for u in units
    ]
