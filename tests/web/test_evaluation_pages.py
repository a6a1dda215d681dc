"""效果评估 pages: sending a closed problem for a visit (a bad deadline refused with its
reason, a double submit sends one), the unit's answer on its task page, the figures on 督办
linking to the lists behind them."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import Evaluation
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.test_key_checks_and_reopen import closed_problem
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import csrf_token, login


def _once(client: FlaskClient) -> dict[str, str]:
    page = client.get("/evaluations").get_data(as_text=True)
    once = re.search(r'name="once" value="([^"]+)"', page)
    assert once
    return {"csrf_token": csrf_token(client, "/evaluations"), "once": once.group(1)}


def test_a_closed_problem_is_sent_for_a_visit_and_the_answer_counts(
    app: Flask, as_user: Callable[[str], FlaskClient], db_session: Session, june_2022: None
) -> None:
    problem = closed_problem(db_session, CampaignHost())
    db_session.commit()
    office = as_user("ldxz_ban")
    page = office.get("/evaluations").get_data(as_text=True)
    assert problem.number in page and "安排回访" in page
    count = db_session.scalar(select(func.count(Evaluation.id))) or 0
    bad = {"problem": str(problem.id), "method": "visit", "due_on": "2022-06-01", **_once(office)}
    refused = office.post("/evaluations/request", data=bad, follow_redirects=True)
    shown = refused.get_data(as_text=True)
    assert "未安排回访：完成期限：不能早于今天" in shown and "due_on：" not in shown
    assert 'value="2022-06-01"' in shown  # the date typed is kept
    data = {**bad, "due_on": "2022-06-25", **_once(office)}
    assert office.post("/evaluations/request", data=data).status_code == 302
    office.post("/evaluations/request", data=data)
    assert db_session.scalar(select(func.count(Evaluation.id))) == count + 1
    assert office.post("/evaluations/request", data={**data, "problem": "x"}).status_code == 400

    evaluation = db_session.scalars(select(Evaluation).order_by(Evaluation.id.desc())).first()
    assert evaluation is not None
    unit = app.test_client()
    assert login(unit, "qsz_jbr", DEMO_PASSWORD).status_code == 302
    item = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == evaluation.case_id, WorkItem.state == "open")
    ).one()
    task = unit.get(f"/tasks/{item.id}").get_data(as_text=True)
    assert problem.number in task and "入户调查" not in task and "现场回访" in task
    token = csrf_token(unit, f"/tasks/{item.id}")
    answer = {
        "visited_on": "2022-06-15",
        "money": "partly",
        "satisfaction": "dissatisfied",
        "note": "农户反映只补发了一半",
        "csrf_token": token,
    }
    done = unit.post(f"/tasks/{item.id}", data=answer)
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    figures = office.get("/supervise/").get_data(as_text=True)
    link = "/evaluations?status=done&amp;satisfaction=dissatisfied"
    assert link in figures and "/evaluations?status=done&amp;money=partly" in figures
    listed = office.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert problem.number in listed and "部分到位" in listed
    assert problem.number in unit.get("/evaluations").get_data(as_text=True)
    assert unit.get(f"/evaluations/{evaluation.id}").status_code == 200
    other = app.test_client()
    assert login(other, "zb1_cy", DEMO_PASSWORD).status_code == 302
    assert other.get(f"/evaluations/{evaluation.id}").status_code in (403, 404)
