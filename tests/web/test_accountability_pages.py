"""问责 pages: the unit's overdue tasks and returned reports offered once the unit is chosen,
bad input kept, one proposal per submit, the figures on 督办 linking to the list, and the
unit seeing only what was decided about it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import obligations
from campaign.models import Accountability, Obligation, Unit
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import csrf_token, login


def _form(client: FlaskClient, path: str) -> dict[str, str]:
    page = client.get(path).get_data(as_text=True)
    once = re.search(r'name="once" value="([^"]+)"', page)
    assert once
    return {"csrf_token": csrf_token(client, path), "once": once.group(1)}


def _overdue_may_report(session: Session) -> WorkItem:
    obligations.start_due(session, CampaignHost(), today=date(2022, 6, 15))
    session.commit()
    may = session.scalars(
        select(Obligation)
        .join(Unit, Unit.id == Obligation.unit_id)
        .where(
            Unit.code == "QSZ",
            Obligation.deadline_code == "monthly_report",
            Obligation.period == "2022-05",
        )
    ).one()
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == may.case_id, WorkItem.state == "open")
    ).one()


def _count(session: Session) -> int:
    return session.scalar(select(func.count(Accountability.id))) or 0


def test_the_office_picks_the_units_overdue_task_and_the_head_decides(
    app: Flask,
    as_user: Callable[[str], FlaskClient],
    db_session: Session,
    june_2022: None,
) -> None:
    overdue = _overdue_may_report(db_session)
    office = as_user("ldxz_ban")
    blank = office.get("/accountability/new").get_data(as_text=True)
    assert f'value="{overdue.id}"' not in blank  # nothing to pick before a unit is chosen
    path = "/accountability/new?unit=QSZ"
    page = office.get(path).get_data(as_text=True)
    assert f'value="{overdue.id}"' in page and "逾期" in page
    before = _count(db_session)
    bad = {"unit": "QSZ", "conduct": "inaction", "measure": "interview", "grounds": "月报逾期"}
    refused = office.post("/accountability/new", data={**bad, **_form(office, path)})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "请至少选择一项" in text and "月报逾期" in text
    data = {**bad, "overdue_items": [str(overdue.id)], **_form(office, path)}
    first = office.post("/accountability/new", data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    office.post("/accountability/new", data=data)
    assert _count(db_session) == before + 1
    shown = office.get(first.headers["Location"]).get_data(as_text=True)
    assert "待审批" in shown and "仍未办理" in shown and f"/tasks/{overdue.id}" in shown
    figures = office.get("/supervise/").get_data(as_text=True)
    assert "/accountability?status=proposed" in figures
    listed = office.get("/accountability?status=proposed").get_data(as_text=True)
    assert "WZ-2022-" in listed

    unit = app.test_client()
    assert login(unit, "qsz_fzr", DEMO_PASSWORD).status_code == 302
    assert "WZ-2022-" not in unit.get("/accountability").get_data(as_text=True)  # not decided
    decision = db_session.scalars(select(Accountability).order_by(Accountability.id.desc())).first()
    assert decision is not None
    assert unit.get(f"/accountability/{decision.id}").status_code == 404
    assert unit.get("/accountability/new").status_code in (403, 404)
