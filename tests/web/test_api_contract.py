"""The API's contract: every route is in the generated document with a declaration, the
defects fuzzing found stay fixed, and the calls a person's browser work needs (evidence,
comments, claim, unclaim, 转派, reference data, reports, notifications) work with a token."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.days import NOT_A_DAY
from tests.campaign.conftest import approval, registration
from tests.web.test_api import token
from web.api.contract import api_rules, declaration_of, openapi_path

pytestmark = pytest.mark.usefixtures("june_2022")
PDF = b"%PDF-1.4\n% evidence\n"


def test_every_route_of_the_blueprint_is_declared_and_in_the_document(
    app: Flask, client: FlaskClient
) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    rules = api_rules(app, "api")
    assert len(rules) >= 35
    for rule in rules:
        assert declaration_of(app.view_functions[rule.endpoint]) is not None, rule.rule
        path = openapi_path(rule.rule, "/api/v1")
        for method in set(rule.methods or ()) - {"HEAD", "OPTIONS"}:
            operation = spec["paths"][path][method.lower()]
            assert "400" in operation["responses"], (path, method)
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"] and "fields" in error["properties"]
    village = spec["components"]["schemas"]["Problem"]["properties"]["village"]
    assert village["type"] == ["string", "null"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/public/disclosures.json?page=99999999999999999999",
        "/api/v1/public/disclosures.json?page=null",
        "/api/v1/public/disclosures.json?page=",
        "/api/v1/public/disclosures.json?page=0",
    ],
)
def test_a_page_that_is_no_page_is_400_even_without_a_token(client: FlaskClient, url: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 400
    assert answer.get_json()["fields"]["page"].startswith("页码须为")


@pytest.mark.parametrize("bad", ["0", "101", "-1", "null", "", "1e2", "99999999999999999999"])
def test_a_page_size_outside_1_to_100_is_400(client: FlaskClient, bad: str) -> None:
    answer = client.get(f"/api/v1/public/disclosures.json?per_page={bad}")
    assert answer.status_code == 400
    assert answer.get_json()["fields"]["per_page"] == "每页条数须为 1 至 100 之间的整数"


def test_a_client_chooses_its_page_size_on_every_list(
    db_session: Session, client: FlaskClient
) -> None:
    officer = token(db_session, "qsz_jbr")
    for n in range(3):
        data = registration(description=f"每页条数{n}：村会计截留补贴资金")
        made = client.post("/api/v1/problems", headers=officer, json={"unit": "QSZ", "data": data})
        assert made.status_code == 201, made.get_json()
    reviewer = token(db_session, "qsz_fzr")  # whose inbox the registrations reach
    for url, who in (("/api/v1/problems", officer), ("/api/v1/tasks", reviewer)):
        whole = client.get(url, headers=who).get_json()
        assert whole["per_page"] == 30 and whole["total"] >= 3
        first = client.get(f"{url}?per_page=2", headers=who).get_json()
        assert first["pages"] == -(-whole["total"] // 2) and len(first["items"]) == 2
        pages = [first] + [
            client.get(f"{url}?per_page=2&page={n}", headers=who).get_json()
            for n in range(2, first["pages"] + 1)
        ]
        assert {p["per_page"] for p in pages} == {2}
        ids = [item["id"] for p in pages for item in p["items"]]
        assert len(ids) == whole["total"] == len(set(ids))  # every row once, none twice
    for url in ("/api/v1/reports/filings", "/api/v1/obligations"):
        assert client.get(f"{url}?per_page=1", headers=officer).get_json()["per_page"] == 1, url


def test_ids_beyond_a_row_and_wrong_methods(db_session: Session, client: FlaskClient) -> None:
    officer = token(db_session, "qsz_jbr")
    assert client.get("/api/v1/tasks/99999999999999999999", headers=officer).status_code == 404
    assert client.get("/api/v1/problems?page=99999999999", headers=officer).status_code == 400
    wrong = client.put("/api/v1/problems", headers=officer)
    assert wrong.status_code == 405 and set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert wrong.get_json()["error"] == "不支持的请求方法"
    extra = client.post(
        "/api/v1/problems", headers=officer, json={"unit": "QSZ", "data": {}, "x": 1}
    )
    assert extra.status_code == 400 and extra.get_json()["fields"] == {"x": "不接受此字段"}


def test_a_whole_lifecycle_with_evidence_through_the_api(
    db_session: Session, client: FlaskClient
) -> None:
    officer, reviewer = token(db_session, "qsz_jbr"), token(db_session, "qsz_fzr")
    units = client.get("/api/v1/reference/units", headers=officer).get_json()["items"]
    assert any(u["code"] == "QSZ" for u in units)
    villages = client.get("/api/v1/reference/villages?unit=QSZ", headers=officer).get_json()
    assert villages["items"][0]["code"].startswith("QSZ")
    for kind in ("programmes", "categories", "focus-items"):
        assert client.get(f"/api/v1/reference/{kind}", headers=officer).get_json()["items"]
    created = client.post(
        "/api/v1/problems", headers=officer, json={"unit": "QSZ", "data": registration()}
    ).get_json()
    review = client.get("/api/v1/tasks", headers=reviewer).get_json()["items"][0]
    read = client.get(f"/api/v1/tasks/{review['id']}", headers=reviewer)
    etag = read.headers["ETag"]
    assert etag == f'"{read.get_json()["version"]}"'
    claimed = client.post(
        f"/api/v1/tasks/{review['id']}/claim", headers={**reviewer, "If-Match": etag}
    )
    assert claimed.status_code == 200 and claimed.headers["ETag"] != etag
    stale = client.post(
        f"/api/v1/tasks/{review['id']}/complete",
        headers={**reviewer, "If-Match": etag},
        json={"data": approval()},
    )
    assert stale.status_code == 412 and "版本已过期" in stale.get_json()["error"]
    unclaimed = client.post(f"/api/v1/tasks/{review['id']}/unclaim", headers=reviewer)
    assert unclaimed.status_code == 200 and unclaimed.get_json()["claimed_by"] is None
    done = client.post(
        f"/api/v1/tasks/{review['id']}/complete", headers=reviewer, json={"data": approval()}
    ).get_json()
    rectify = done["next"][0]
    assert rectify["step"] == "rectify"

    said = client.post(
        f"/api/v1/cases/{rectify['case_id']}/comments",
        headers={**officer, "Idempotency-Key": "c-1"},
        json={"text": "已约谈当事人"},
    )
    assert said.status_code == 201
    again = client.post(
        f"/api/v1/cases/{rectify['case_id']}/comments",
        headers={**officer, "Idempotency-Key": "c-1"},
        json={"text": "已约谈当事人"},
    )
    assert again.status_code == 409
    comments = client.get(f"/api/v1/cases/{rectify['case_id']}/comments", headers=officer)
    assert [c["text"] for c in comments.get_json()["items"]] == ["已约谈当事人"]

    fake = client.post(
        f"/api/v1/tasks/{rectify['id']}/files",
        headers=officer,
        data={"file": (io.BytesIO(b"MZ not a pdf"), "整改.pdf")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422 and "内容与扩展名不符" in fake.get_json()["error"]
    missing = client.post(f"/api/v1/tasks/{rectify['id']}/files", headers=officer, data={})
    assert missing.status_code == 400 and "file" in missing.get_json()["fields"]
    upload = client.post(
        f"/api/v1/tasks/{rectify['id']}/files",
        headers=officer,
        data={"file": (io.BytesIO(PDF), "整改.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_json()
    attachment = upload.get_json()
    fetched = client.get(upload.headers["Location"], headers=officer)
    assert fetched.status_code == 200 and fetched.data == PDF
    fetched.close()
    finished = client.post(
        f"/api/v1/tasks/{rectify['id']}/complete",
        headers=officer,
        json={
            "data": {
                "action": "submit",
                "measures_taken": "已追回",
                "completed_on": "2022-06-15",
                "evidence": [str(attachment["id"])],
                "no_transfer_reason": "经核实系工作失误",
            }
        },
    )
    assert finished.status_code == 200, finished.get_json()
    listed = client.get(f"/api/v1/cases/{rectify['case_id']}/files", headers=officer).get_json()
    assert [f["id"] for f in listed["items"]] == [attachment["id"]]
    problem = client.get(f"/api/v1/problems/{created['id']}", headers=officer).get_json()
    assert problem["status"] != "rectifying"


def test_reports_notifications_and_reassignment(db_session: Session, client: FlaskClient) -> None:
    officer, supervisor = token(db_session, "qsz_jbr"), token(db_session, "ldxz_ban")
    client.post("/api/v1/problems", headers=officer, json={"unit": "QSZ", "data": registration()})
    figures = client.get("/api/v1/reports/attachment2?unit=QSZ", headers=officer).get_json()
    assert figures["table"] == "attachment2" and figures["rows"]
    bad = client.get("/api/v1/reports/attachment3?from=2022-13-01", headers=officer)
    assert bad.status_code == 400
    assert bad.get_json()["fields"]["from"] == "没有这一天：2022 年 13 月 1 日"
    # The days are read as every form reads them: a week is no day, 2022/6/1 is one.
    week = client.get("/api/v1/reports/attachment2?from=2022-W24-5", headers=officer)
    assert week.status_code == 400 and week.get_json()["fields"]["from"] == NOT_A_DAY
    typed = client.get(
        "/api/v1/reports/attachment2?from=2022/6/1&to=2022年6月30日", headers=officer
    )
    assert typed.status_code == 200
    assert (typed.get_json()["scope"]["date_from"], typed.get_json()["scope"]["date_to"]) == (
        "2022-06-01",
        "2022-06-30",
    )
    due = client.get("/api/v1/tasks?due_before=2022-W24-5", headers=officer)
    assert due.status_code == 400 and due.get_json()["fields"]["due_before"] == NOT_A_DAY
    assert client.get("/api/v1/tasks?due_before=2022/7/1", headers=officer).status_code == 200
    workbook = client.get("/api/v1/reports/attachment3.xlsx?by=township", headers=supervisor)
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"
    reviewer = token(db_session, "qsz_fzr")
    notices = client.get("/api/v1/notifications?limit=5", headers=reviewer).get_json()
    assert notices["unread"] >= 1 and notices["items"][0]["task_id"]
    assert client.post("/api/v1/notifications/read", headers=reviewer).get_json() == {"unread": 0}
    assert client.get("/api/v1/notifications?limit=0", headers=reviewer).status_code == 400
    task = client.get("/api/v1/tasks", headers=reviewer).get_json()["items"][0]
    refused = client.get(f"/api/v1/tasks/{task['id']}/candidates", headers=officer)
    assert refused.status_code == 403
    people = client.get(f"/api/v1/tasks/{task['id']}/candidates", headers=supervisor).get_json()
    person = people["items"][0]
    no_reason = client.post(
        f"/api/v1/tasks/{task['id']}/reassign",
        headers=supervisor,
        json={"person_id": person["id"], "reason": " "},
    )
    assert no_reason.status_code == 422 and no_reason.get_json()["fields"]["reason"]
    moved = client.post(
        f"/api/v1/tasks/{task['id']}/reassign",
        headers=supervisor,
        json={"person_id": person["id"], "reason": "原经办人休假"},
    )
    assert moved.status_code == 200 and moved.get_json()["claimed_by"] == person["id"]
