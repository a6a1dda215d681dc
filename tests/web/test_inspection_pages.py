"""明察暗访 pages: recording a visit (bad input keeps every input, a double submit records
one visit), a finding registered from the task page into the unit's ledger, and who may open
the pages."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import Inspection, Problem
from engine.models import WorkItem
from tests.web_helpers import csrf_token

VISIT = {"visited_on": "2022-06-14", "places": "青山镇青山村 3 户", "team": "区财金局 王某、李某"}


def _form(client: FlaskClient) -> dict[str, str]:
    page = client.get("/inspections/new").get_data(as_text=True)
    once = re.search(r'name="once" value="([^"]+)"', page)
    assert once
    return {"csrf_token": csrf_token(client, "/inspections/new"), "once": once.group(1)}


def _visits(session: Session) -> int:
    return session.scalar(select(func.count(Inspection.id))) or 0


def test_bad_input_is_refused_beside_each_field_and_every_input_kept(
    as_user: Callable[[str], FlaskClient], db_session: Session, june_2022: None
) -> None:
    office = as_user("ldxz_ban")
    before = _visits(db_session)
    bad = {**VISIT, "visited_on": "2022-07-30", "team": "", **_form(office)}
    response = office.post("/inspections/new", data=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "暗访人员：必填" in page and "暗访日期" in page
    assert VISIT["places"] in page and "2022-07-30" in page
    assert _visits(db_session) == before


def test_a_visit_before_the_campaign_began_is_refused_keeping_every_input(
    as_user: Callable[[str], FlaskClient], db_session: Session, june_2022: None
) -> None:
    office = as_user("ldxz_ban")
    before = _visits(db_session)
    early = {**VISIT, "visited_on": "2019-01-01", **_form(office)}
    response = office.post("/inspections/new", data=early)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "暗访日期：不能早于活动开始日期（2022-05-01）" in page
    assert 'value="2019-01-01"' in page and VISIT["places"] in page and VISIT["team"] in page
    assert _visits(db_session) == before


def test_a_visit_is_recorded_once_and_a_finding_goes_to_the_ledger_from_the_task_page(
    as_user: Callable[[str], FlaskClient], db_session: Session, june_2022: None
) -> None:
    office = as_user("ldxz_ban")
    before = _visits(db_session)
    data = {**VISIT, **_form(office)}
    first = office.post("/inspections/new", data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    visit = db_session.scalars(select(Inspection).order_by(Inspection.id.desc())).first()
    assert visit is not None
    shown = office.get(first.headers["Location"]).get_data(as_text=True)
    assert f"已登记明察暗访 {visit.number}" in shown
    assert "登记发现的问题" in shown and "未登记发现的问题" in shown
    office.post("/inspections/new", data=data)
    assert _visits(db_session) == before + 1
    item = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == visit.case_id, WorkItem.state == "open")
    ).one()
    task = office.get(f"/tasks/{item.id}").get_data(as_text=True)
    assert visit.number in task and VISIT["places"] in task
    token = csrf_token(office, f"/tasks/{item.id}")
    finding = {
        "finding_decision": "register",
        "unit": "QSZ",
        "village": "BSZ01",  # not 青山镇's
        "programme": "P11",
        "focus_item": "3.3",
        "stat_category": "S02",
        "description": "村会计代领农户补贴未发放",
        "amount": "800.00",
        "csrf_token": token,
    }
    refused = office.post(f"/tasks/{item.id}", data=finding)
    assert refused.status_code == 422
    assert "村会计代领农户补贴未发放" in refused.get_data(as_text=True)
    entries = db_session.scalar(select(func.count(Problem.id)))
    done = office.post(f"/tasks/{item.id}", data={**finding, "village": "QSZ01"})
    assert done.status_code == 302, done.get_data(as_text=True)[:3000]
    assert db_session.scalar(select(func.count(Problem.id))) == (entries or 0) + 1
    listing = office.get("/inspections").get_data(as_text=True)
    assert visit.number in listing and f'/inspections/{visit.id}#findings">1<' in listing
    page = office.get(f"/inspections/{visit.id}").get_data(as_text=True)
    assert "2022-QSZ-" in page
    assert visit.number in office.get("/supervise/").get_data(as_text=True)


def test_the_units_cannot_open_the_visits(as_user: Callable[[str], FlaskClient]) -> None:
    officer = as_user("qsz_jbr")
    for path in ("/inspections", "/inspections/new"):
        assert officer.get(path).status_code in (403, 404)
