"""专项督办, 明察暗访, 问责 and 效果评估 on the API: started by the office with the page's form
as JSON (refused field by field, once per Idempotency-Key), listed a page at a time as each
person sees them, and worked through /tasks like any other task."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import obligations, tasks
from campaign.models import Obligation, SupervisionPart
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.conftest import user
from tests.campaign.test_accountability import MONTHLY, _open, _report
from tests.campaign.test_evaluations import REQUEST
from tests.campaign.test_key_checks_and_reopen import closed_problem
from tests.campaign.test_supervision import order
from tests.web.test_api import token

pytestmark = pytest.mark.usefixtures("june_2022")


def test_an_order_goes_to_each_unit_and_its_feedback_through_tasks(
    db_session: Session, client: FlaskClient
) -> None:
    office = token(db_session, "ldxz_ban")
    refused = client.post(
        "/api/v1/supervision",
        headers=office,
        json={"data": order(units=[], deadline="2022-06-01", summary=" ")},
    )
    assert refused.status_code == 422
    assert {"units", "deadline", "summary"} <= set(refused.get_json()["fields"])
    assert client.post("/api/v1/supervision", headers=office, json={}).status_code == 400
    assert (
        client.post("/api/v1/supervision", headers=office, json={"data": {}, "x": 1}).status_code
        == 400
    )
    keyed = {**office, "Idempotency-Key": "order-12"}
    issued = client.post("/api/v1/supervision", headers=keyed, json={"data": order()})
    assert issued.status_code == 201
    body = issued.get_json()
    assert body["number"].startswith("DB-2022-")
    assert {p["unit"] for p in body["parts"]} == {"QSZ", "NYNC"}
    again = client.post("/api/v1/supervision", headers=keyed, json={"data": order()})
    assert again.status_code == 409
    assert len(db_session.scalars(select(SupervisionPart)).all()) == 2

    officer = token(db_session, "qsz_jbr")
    assert (
        client.post("/api/v1/supervision", headers=officer, json={"data": order()}).status_code
        == 404
    )
    mine = client.get("/api/v1/supervision/parts", headers=officer).get_json()
    assert [p["unit"] for p in mine["items"]] == ["QSZ"] and mine["total"] == 1
    everyone = client.get("/api/v1/supervision/parts?per_page=1", headers=office).get_json()
    assert everyone["total"] == 2 and everyone["pages"] == 2 and len(everyone["items"]) == 1
    part = mine["items"][0]
    task = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == part["case_id"], WorkItem.state == "open")
    ).one()
    done = client.post(
        f"/api/v1/tasks/{task.id}/complete",
        headers=officer,
        json={"data": {"feedback": "已核查，代领补贴已追回"}},
    )
    assert done.status_code == 200, done.get_json()
    review = client.get("/api/v1/supervision/parts?state=review", headers=office).get_json()
    assert [p["feedback"] for p in review["items"]] == ["已核查，代领补贴已追回"]
    assert client.get("/api/v1/supervision/parts?state=nonsense", headers=office).status_code == 400


def test_an_inspection_is_recorded_by_the_office_only(
    db_session: Session, client: FlaskClient
) -> None:
    office = token(db_session, "ldxz_ban")
    visit = {"visited_on": "2022-06-10", "places": "青山镇青山村", "team": "区纪委、区财政局"}
    future = client.post(
        "/api/v1/inspections", headers=office, json={"data": {**visit, "visited_on": "2030-01-01"}}
    )
    assert future.status_code == 422 and "visited_on" in future.get_json()["fields"]
    started = client.post("/api/v1/inspections", headers=office, json={"data": visit})
    assert started.status_code == 201 and started.get_json()["number"].startswith("AF-2022-")
    listed = client.get("/api/v1/inspections", headers=office).get_json()
    assert [v["places"] for v in listed["items"]] == ["青山镇青山村"]
    assert listed["items"][0]["problems"] == [] and listed["items"][0]["status"] == "recording"
    officer = token(db_session, "qsz_jbr")
    assert client.get("/api/v1/inspections", headers=officer).status_code == 404
    assert (
        client.post("/api/v1/inspections", headers=officer, json={"data": visit}).status_code == 404
    )


@pytest.fixture
def grounds(db_session: Session) -> tuple[WorkItem, Obligation]:
    host = CampaignHost()
    obligations.start_due(db_session, host, today=date(2022, 6, 15))
    overdue = _open(db_session, _report(db_session, "QSZ", "2022-05").case_id)
    june = _report(db_session, "QSZ", "2022-06")
    tasks.complete(
        db_session, host, user(db_session, "qsz_jbr"), _open(db_session, june.case_id).id, MONTHLY
    )
    for username, data in (
        ("qsz_fzr", {"report_decision": "approve"}),
        ("ldxz_ban", {"office_decision": "return", "return_reason": "走访户数与名单不符"}),
    ):
        item = _open(db_session, june.case_id)
        tasks.complete(db_session, host, user(db_session, username), item.id, data)
    db_session.commit()
    return overdue, june


def test_a_proposal_rests_on_its_grounds_and_the_unit_sees_it_once_decided(
    db_session: Session, client: FlaskClient, grounds: tuple[WorkItem, Obligation]
) -> None:
    overdue, june = grounds
    office = token(db_session, "ldxz_ban")
    proposal = {
        "unit": "QSZ",
        "conduct": "buck_passing",
        "measure": "interview",
        "grounds": "月报逾期、退回后仍不重报",
        "overdue_items": [str(overdue.id)],
        "returned_reports": [str(june.id)],
    }
    none_picked = {**proposal, "overdue_items": [], "returned_reports": []}
    refused = client.post("/api/v1/accountability", headers=office, json={"data": none_picked})
    assert refused.status_code == 422
    made = client.post("/api/v1/accountability", headers=office, json={"data": proposal})
    assert made.status_code == 201, made.get_json()
    decision = made.get_json()
    assert decision["status"] == "proposed" and len(decision["grounds_items"]) == 2
    officer = token(db_session, "qsz_jbr")
    assert client.get("/api/v1/accountability", headers=officer).get_json()["total"] == 0
    step = _open(db_session, decision["case_id"])
    head = token(db_session, "ldxz_fzr")
    approved = client.post(
        f"/api/v1/tasks/{step.id}/complete",
        headers=head,
        json={"data": {"approve_decision": "approve"}},
    )
    assert approved.status_code == 200, approved.get_json()
    seen = client.get("/api/v1/accountability?status=decided", headers=officer).get_json()
    assert [d["number"] for d in seen["items"]] == [decision["number"]]


def test_a_closed_problem_is_sent_for_a_visit_once(
    db_session: Session, client: FlaskClient
) -> None:
    problem = closed_problem(db_session, CampaignHost())
    db_session.commit()
    office = token(db_session, "ldxz_ban")
    body = {"problem_id": problem.id, "data": REQUEST}
    sent = client.post("/api/v1/evaluations", headers=office, json=body)
    assert sent.status_code == 201 and sent.get_json()["problem"] == problem.number
    twice = client.post("/api/v1/evaluations", headers=office, json=body)
    assert twice.status_code == 409 and "已安排回访" in twice.get_json()["error"]
    bad = client.post(
        "/api/v1/evaluations", headers=office, json={"problem_id": "x", "data": REQUEST}
    )
    assert bad.status_code == 400
    listed = client.get("/api/v1/evaluations?status=visiting", headers=token(db_session, "qsz_jbr"))
    assert [e["problem"] for e in listed.get_json()["items"]] == [problem.number]
    assert client.get("/api/v1/evaluations?money=lots", headers=office).status_code == 400
