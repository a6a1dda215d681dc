"""The request boundary as production runs it (TESTING and DEBUG off): Flask then answers an
unhandled exception with its own 500 page and runs `after_request` for it too, so these
tests use an app configured like production, not the suite's testing app."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, problems
from campaign.models import AuditEvent, Problem, Unit, User
from campaign.workflow_host import CampaignHost
from core.config import Settings
from core.db import Database
from core.errors import Conflict
from engine import definitions
from engine.models import Case, CaseStatus, WorkItem
from tests.campaign.conftest import registration
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import csrf_token, login
from web import create_app, db
from web.authz import allow

pytestmark = pytest.mark.usefixtures("june_2022")

# The review gateway of the lifecycle, made to fail when it is evaluated: a condition over a
# name the case does not have raises in SpiffWorkflow.
REVIEW = {
    "review_decision": "approve",
    "responsible_unit": "QSZ",
    "responsible_person": "李主任",
    "rectify_type": "deadline",
    "measures": "追回并发放",
    "deadline": "2022-07-15",
}
FAILING_GATEWAY = (
    'review_decision == "approve"</bpmn:conditionExpression>',
    'review_decision == "approve" and no_such_value == 1</bpmn:conditionExpression>',
)


@pytest.fixture
def production_app(bound_database: Database, settings: Settings) -> Iterator[Flask]:
    app = create_app(database=bound_database, settings=settings, config={"TESTING": False})
    assert not app.testing and not app.debug and not app.config["PROPAGATE_EXCEPTIONS"]

    @app.post("/boundary-test/<kind>")
    @allow(public=True)
    def flush_then_fail(kind: str) -> str:
        """Adds a unit, flushes it, then fails the way the kind says."""
        db.session().add(Unit(code=f"BT-{kind.upper()}", name="边界测试", kind="township"))
        db.session().flush()
        if kind == "crash":
            raise RuntimeError("a bug")
        if kind == "conflict":
            raise Conflict("已被他人处理")
        return "ok"

    app.config["WTF_CSRF_ENABLED"] = False  # the test route has no form to carry a token
    yield app


def _units(session: Session, code: str) -> int:
    return len(session.scalars(select(Unit).where(Unit.code == code)).all())


def test_a_request_that_flushed_then_crashed_leaves_nothing(
    db_session: Session, production_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = production_app.test_client()
    with caplog.at_level(logging.INFO):
        crashed = client.post("/boundary-test/crash")
    assert crashed.status_code == 500
    page = crashed.get_data(as_text=True)
    assert "服务器内部错误" in page and "Traceback" not in page and "a bug" not in page
    assert _units(db_session, "BT-CRASH") == 0
    # The operators' log has the error once, with its traceback.
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1 and logged[0].exc_info is not None, caplog.text
    assert "/boundary-test/crash" in logged[0].getMessage()


def test_a_refusal_after_a_flush_leaves_nothing_and_success_commits(
    db_session: Session, production_app: Flask
) -> None:
    client = production_app.test_client()
    refused = client.post("/boundary-test/conflict")
    assert refused.status_code == 409 and "已被他人处理" in refused.get_data(as_text=True)
    assert _units(db_session, "BT-CONFLICT") == 0
    assert client.post("/boundary-test/fine").status_code == 200
    assert _units(db_session, "BT-FINE") == 1


def test_a_failed_or_refused_change_is_recorded_although_its_work_is_not(
    db_session: Session, production_app: Flask
) -> None:
    client = production_app.test_client()
    assert client.post("/boundary-test/crash").status_code == 500
    assert client.post("/boundary-test/conflict").status_code == 409
    failed = db_session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "request.failed", AuditEvent.target.startswith("/boundary"))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.target, e.success, json.loads(e.detail)["status"]) for e in failed] == [
        ("/boundary-test/crash", False, 500),
        ("/boundary-test/conflict", False, 409),
    ]
    assert json.loads(failed[0].detail)["error"] == "RuntimeError"
    assert _units(db_session, "BT-CRASH") == _units(db_session, "BT-CONFLICT") == 0


def test_api_errors_are_json_even_when_unexpected(
    db_session: Session, production_app: Flask
) -> None:
    client = production_app.test_client()
    crashed = client.post("/boundary-test/crash", headers={"Content-Type": "application/json"})
    assert crashed.status_code == 500 and crashed.is_json
    assert crashed.get_json() == {
        "error": "服务器内部错误，请稍后重试；如反复出现，请联系系统管理员"
    }
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.get_json() == {"error": "不存在或无权访问"}
    wrong = client.delete("/api/v1/tasks")
    assert wrong.status_code == 405 and wrong.is_json and "GET" in wrong.headers["Allow"]
    anonymous = client.get("/api/v1/tasks")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    huge = client.get("/api/v1/public/disclosures.json?page=99999999999999999999")
    assert huge.status_code == 400 and huge.get_json()["fields"]["page"]


def _break_review_gateway(session: Session) -> None:
    xml = Path("workflows/problem_lifecycle.bpmn").read_text(encoding="utf-8")
    assert FAILING_GATEWAY[0] in xml
    definitions.deploy(session, xml.replace(*FAILING_GATEWAY), CampaignHost(), deployed_by="t")


def _problem_at_review(session: Session) -> tuple[Problem, WorkItem]:
    officer = session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    problem = problems.register(session, CampaignHost(), officer, "QSZ", registration())
    item = session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()
    session.commit()
    return problem, item


def _assert_in_error(session: Session, problem: Problem) -> None:
    session.expire_all()
    case = session.get(Case, problem.case_id)
    assert case is not None and case.status == CaseStatus.ERROR.value
    assert "流程执行出错（审核通过？）" in case.error_message
    assert session.get(Problem, problem.id).status == "error"  # type: ignore[union-attr]


def test_a_web_completion_whose_script_fails_marks_the_case_in_error(
    db_session: Session, production_app: Flask
) -> None:
    _break_review_gateway(db_session)
    problem, item = _problem_at_review(db_session)
    client: FlaskClient = production_app.test_client()
    assert login(client, "qsz_fzr", DEMO_PASSWORD).status_code == 302
    token = csrf_token(client, f"/tasks/{item.id}")
    answer = client.post(
        f"/tasks/{item.id}",
        data={"csrf_token": token, **REVIEW},
    )
    assert answer.status_code == 500
    page = answer.get_data(as_text=True)
    assert "办理失败" in page and "审核通过？" in page and 'value="李主任"' in page
    _assert_in_error(db_session, problem)


def test_an_api_completion_whose_script_fails_marks_the_case_in_error(
    db_session: Session, production_app: Flask
) -> None:
    _break_review_gateway(db_session)
    problem, item = _problem_at_review(db_session)
    reviewer = db_session.scalars(select(User).where(User.username == "qsz_fzr")).one()
    headers = {"Authorization": f"Bearer {accounts.issue_token(db_session, reviewer)}"}
    db_session.commit()
    answer = production_app.test_client().post(
        f"/api/v1/tasks/{item.id}/complete",
        headers=headers,
        json={"data": REVIEW},
    )
    assert answer.status_code == 500 and "审核通过？" in answer.get_json()["error"]
    _assert_in_error(db_session, problem)


def test_numbers_too_big_for_the_database_are_not_found_not_a_crash(
    db_session: Session, production_app: Flask
) -> None:
    client = production_app.test_client()
    for path in (
        "/api/v1/problems/99999999999999999999",
        "/api/v1/tasks/2147483648",
        "/tasks/99999999999999999999",
        "/problems/99999999999999999999",
    ):
        assert client.get(path).status_code in (401, 404, 302), path
    reviewer = db_session.scalars(select(User).where(User.username == "qsz_fzr")).one()
    headers = {"Authorization": f"Bearer {accounts.issue_token(db_session, reviewer)}"}
    db_session.commit()
    huge = client.get("/api/v1/problems/99999999999999999999", headers=headers)
    assert huge.status_code == 404 and huge.get_json() == {"error": "不存在或无权访问"}
    assert client.get("/api/v1/problems/2147483647", headers=headers).status_code == 404
    assert client.get("/api/v1/problems?page=0", headers=headers).status_code == 400
    assert client.get("/api/v1/problems?page=null", headers=headers).status_code == 400
    assert client.get("/public/?page=99999999999999999999").status_code == 400
