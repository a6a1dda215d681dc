"""The JSON API contract: bearer tokens, 201/409/422, per-field errors, OpenAPI."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, problems, tasks
from campaign.models import User
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.conftest import approval, registration, uploaded
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import login

pytestmark = pytest.mark.usefixtures("june_2022")


def token(session: Session, username: str) -> dict[str, str]:
    user = session.scalars(select(User).where(User.username == username)).one()
    return {"Authorization": f"Bearer {accounts.issue_token(session, user)}"}


def test_no_token_no_entry_and_cookies_are_not_enough(
    db_session: Session, client: FlaskClient
) -> None:
    assert client.get("/api/v1/tasks").status_code == 401
    assert client.get("/api/v1/tasks").get_json()["error"].startswith("需要有效的访问令牌")
    assert (
        client.get("/api/v1/tasks", headers={"Authorization": "Bearer ykt_nope"}).status_code == 401
    )
    login(client, "qsz_jbr", DEMO_PASSWORD)
    assert client.get("/api/v1/tasks").status_code == 401


def test_register_then_work_a_problem_through_the_api(
    db_session: Session, client: FlaskClient
) -> None:
    officer, reviewer = token(db_session, "qsz_jbr"), token(db_session, "qsz_fzr")
    bad = client.post(
        "/api/v1/problems", headers=officer, json={"unit": "QSZ", "data": registration(amount="-1")}
    )
    assert bad.status_code == 422 and "不能为负数" in bad.get_json()["fields"]["amount"]
    created = client.post(
        "/api/v1/problems", headers=officer, json={"unit": "QSZ", "data": registration()}
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["number"] == "2022-QSZ-0001" and body["case_id"]

    listed = client.get("/api/v1/tasks", headers=reviewer).get_json()
    assert listed["total"] == 1
    task_id = listed["items"][0]["id"]
    task = client.get(f"/api/v1/tasks/{task_id}", headers=reviewer).get_json()
    assert task["form"]["key"] == "review_registration"
    assert {f["name"] for f in task["form"]["fields"]} >= {"review_decision", "deadline"}

    invalid = client.post(
        f"/api/v1/tasks/{task_id}/complete",
        headers=reviewer,
        json={"data": {"review_decision": "approve"}},
    )
    assert invalid.status_code == 422
    assert invalid.get_json()["fields"]["deadline"] == "整改时限：必填"
    assert (
        client.post(
            f"/api/v1/tasks/{task_id}/complete", headers=reviewer, json={"oops": 1}
        ).status_code
        == 400
    )
    done = client.post(
        f"/api/v1/tasks/{task_id}/complete", headers=reviewer, json={"data": approval()}
    )
    assert done.status_code == 200 and done.get_json()["next"][0]["step"] == "rectify"
    # What the step left open, as the database holds it (not read again to answer).
    case_id = done.get_json()["task"]["case_id"]
    still_open = db_session.scalars(
        select(WorkItem.id).where(WorkItem.case_id == case_id, WorkItem.state == "open")
    ).all()
    assert [t["id"] for t in done.get_json()["next"]] == list(still_open)
    again = client.post(
        f"/api/v1/tasks/{task_id}/complete", headers=reviewer, json={"data": approval()}
    )
    assert again.status_code == 409

    problem = client.get(f"/api/v1/problems/{body['id']}", headers=officer).get_json()
    assert problem["status"] == "rectifying"
    assert [h["kind"] for h in problem["history"]][:2] == ["started", "task_completed"]
    assert client.get("/api/v1/problems", headers=officer).get_json()["total"] == 1


def test_a_retried_registration_with_its_idempotency_key_registers_once(
    db_session: Session, client: FlaskClient
) -> None:
    officer = token(db_session, "qsz_jbr")
    retry = {**officer, "Idempotency-Key": "qsz-2022-06-15-001"}
    payload = {"unit": "QSZ", "data": registration()}
    refused = client.post(
        "/api/v1/problems", headers=retry, json={"unit": "QSZ", "data": registration(amount="-1")}
    )
    assert refused.status_code == 422  # a refused request does not use the key up
    first = client.post("/api/v1/problems", headers=retry, json=payload)
    assert first.status_code == 201
    again = client.post("/api/v1/problems", headers=retry, json=payload)
    assert again.status_code == 409
    assert again.get_json()["location"] == first.headers["Location"]
    assert "2022-QSZ-0001" in again.get_json()["error"]
    assert client.get(first.headers["Location"], headers=officer).status_code == 200
    # Another user's identical key is theirs alone; no key, no guard.
    reviewer = {**token(db_session, "qsz_fzr"), "Idempotency-Key": "qsz-2022-06-15-001"}
    assert client.post("/api/v1/problems", headers=reviewer, json=payload).status_code == 201
    assert client.post("/api/v1/problems", headers=officer, json=payload).status_code == 201
    assert client.get("/api/v1/problems", headers=officer).get_json()["total"] == 3
    too_long = {**officer, "Idempotency-Key": "k" * 201}
    assert client.post("/api/v1/problems", headers=too_long, json=payload).status_code == 400


def test_a_task_claimed_by_another_is_a_conflict(db_session: Session, client: FlaskClient) -> None:
    from tests.factories import make_user

    officer = token(db_session, "qsz_jbr")
    client.post("/api/v1/problems", headers=officer, json={"unit": "QSZ", "data": registration()})
    colleague = make_user(db_session, "qsz_reviewer2", unit_code="QSZ", role="reviewer")
    first, second = (
        token(db_session, "qsz_fzr"),
        {"Authorization": f"Bearer {accounts.issue_token(db_session, colleague)}"},
    )
    task_id = client.get("/api/v1/tasks", headers=first).get_json()["items"][0]["id"]
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=first).status_code == 200
    assert client.post(f"/api/v1/tasks/{task_id}/claim", headers=second).status_code == 409
    blocked = client.post(
        f"/api/v1/tasks/{task_id}/complete", headers=second, json={"data": approval()}
    )
    assert blocked.status_code == 409 and "认领" in blocked.get_json()["error"]


def test_outsiders_get_404(db_session: Session, client: FlaskClient) -> None:
    from tests.factories import make_user

    created = client.post(
        "/api/v1/problems",
        headers=token(db_session, "qsz_jbr"),
        json={"unit": "QSZ", "data": registration()},
    ).get_json()
    outsider = make_user(db_session, "bsz_api", unit_code="BSZ", role="officer")
    headers = {"Authorization": f"Bearer {accounts.issue_token(db_session, outsider)}"}
    assert client.get(f"/api/v1/problems/{created['id']}", headers=headers).status_code == 404
    assert client.get("/api/v1/process-definitions", headers=headers).status_code == 404


def test_deploying_definitions_through_the_api(db_session: Session, client: FlaskClient) -> None:
    admin = token(db_session, "admin")
    xml = Path("workflows/key_check.bpmn").read_text(encoding="utf-8")
    changed = xml.replace("检查完成", "检查结束")
    created = client.post(
        "/api/v1/process-definitions", headers=admin, data=changed, content_type="application/xml"
    )
    assert created.status_code == 201 and created.get_json() == {
        "key": "key_check",
        "version": 2,
        "created": True,
        "deployed": [{"kind": "process", "key": "key_check", "version": 2, "created": True}],
    }
    broken = changed.replace('name="检查专班"', 'name="无名泳道"')
    refused = client.post("/api/v1/process-definitions", headers=admin, json={"xml": broken})
    assert refused.status_code == 422
    assert refused.get_json()["findings"][0]["element_id"] == "key_check_lane_team"
    versions = client.get("/api/v1/process-definitions", headers=admin).get_json()["items"]
    assert [v["version"] for v in versions if v["key"] == "key_check"] == [1, 2]


def test_deploying_a_diagram_with_its_decision_tables_through_the_api(
    db_session: Session, client: FlaskClient
) -> None:
    admin = token(db_session, "admin")
    bundles = Path("tests/engine/conformance/bundles")
    diagram = Path("workflows/key_check.bpmn").read_text(encoding="utf-8")
    table = (bundles / "grade_unique.dmn").read_text(encoding="utf-8")
    files = [
        {"name": "grade.dmn", "content": table},
        {"name": "key_check.bpmn", "content": diagram},
    ]
    deployed = client.post("/api/v1/process-definitions", headers=admin, json={"files": files})
    assert deployed.status_code == 201, deployed.get_json()
    assert deployed.get_json() == {
        "key": "key_check",
        "version": 1,
        "created": False,
        "deployed": [
            {"kind": "decision", "key": "grade_unique", "version": 1, "created": True},
            {"kind": "process", "key": "key_check", "version": 1, "created": False},
        ],
    }
    hostile = (bundles / "hostile_cells.dmn").read_text(encoding="utf-8")
    files.append({"name": "hostile.dmn", "content": hostile})
    refused = client.post("/api/v1/process-definitions", headers=admin, json={"files": files})
    assert refused.status_code == 422
    findings = refused.get_json()["findings"]
    assert {f["element_id"] for f in findings} >= {"r0_hostile_cells_in0", "r2_hostile_cells_out"}
    for wrong in ([], [{"name": "a.dmn"}], [{"name": "", "content": table}], "x"):
        answer = client.post("/api/v1/process-definitions", headers=admin, json={"files": wrong})
        assert answer.status_code == 400, wrong


def test_public_json_and_openapi_need_no_login(client: FlaskClient) -> None:
    assert client.get("/api/v1/public/disclosures.json").status_code == 200
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {
        "/tasks",
        "/tasks/{id}",
        "/tasks/{id}/claim",
        "/tasks/{id}/complete",
        "/problems",
        "/problems/{id}",
        "/process-definitions",
        "/public/disclosures.json",
    } <= set(spec["paths"])


def test_a_completion_may_name_only_the_case_s_own_evidence(
    db_session: Session, client: FlaskClient
) -> None:
    """Naming another case's file would attach it here and let this case's readers download
    it: the service refuses it, for the API as for the page."""
    host = CampaignHost()
    officer = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    reviewer = db_session.scalars(select(User).where(User.username == "qsz_fzr")).one()
    steps = []
    for description in ("截留低保金", "多收手续费"):
        problem = problems.register(
            db_session, host, officer, "QSZ", registration(description=description)
        )
        review = db_session.scalars(
            select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
        ).one()
        done = tasks.complete(db_session, host, reviewer, review.id, approval())
        steps.append(
            db_session.scalars(
                select(WorkItem).where(WorkItem.case_id == done.case.id, WorkItem.state == "open")
            ).one()
        )
    mine, theirs = steps
    foreign = uploaded(db_session, theirs.case_id, officer)
    own = uploaded(db_session, mine.case_id, officer)
    headers = token(db_session, "qsz_jbr")
    report = {"action": "submit", "measures_taken": "已追回", "completed_on": "2022-06-15"}
    for evidence, reason in (
        ([str(foreign.id)], "附件不存在或不属于本案件，请重新上传"),
        (["99999999999999999999"], "附件编号无效"),
        (["一"], "附件编号无效"),
    ):
        refused = client.post(
            f"/api/v1/tasks/{mine.id}/complete",
            headers=headers,
            json={"data": {**report, "evidence": evidence}},
        )
        assert refused.status_code == 422 and refused.get_json()["fields"] == {"evidence": reason}
    db_session.expire_all()
    assert db_session.get(WorkItem, mine.id).state == "open"  # type: ignore[union-attr]
    accepted = client.post(
        f"/api/v1/tasks/{mine.id}/complete",
        headers=headers,
        json={"data": {**report, "evidence": [str(own.id)]}},
    )
    assert accepted.status_code == 200


def test_a_diagram_in_latin_1_deploys_through_the_api_as_its_prolog_says(
    db_session: Session, client: FlaskClient
) -> None:
    admin = token(db_session, "admin")
    xml = Path("workflows/key_check.bpmn").read_text(encoding="utf-8")
    assert "encoding='UTF-8'" in xml
    latin = xml.replace("encoding='UTF-8'", "encoding='ISO-8859-1'", 1).replace(
        "检查完成", "Contrôle terminé"
    )
    created = client.post(
        "/api/v1/process-definitions",
        headers=admin,
        data=latin.encode("latin-1", errors="xmlcharrefreplace"),
        content_type="application/xml",
    )
    assert created.status_code == 201, created.get_json()
    refused = client.post(
        "/api/v1/process-definitions",
        headers=admin,
        data=xml.encode("utf-8").replace("检查完成".encode(), b"Contr\xf4le"),
        content_type="application/xml",
    )
    assert refused.status_code == 422 and "不是有效的 UTF-8 编码" in refused.get_json()["error"]
