"""A NUL character (U+0000) in what a request carries: no PostgreSQL text column holds one,
nor can one be compared with one, so every such statement failed and the person got a 500.
A page's form fields and query values go through without them (nobody sees or types one);
the API, an address or a field's name with one is answered 400 with the field at fault and
nothing it would have changed is changed; the audit log still records who sent one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit_verify
from campaign.models import AuditEvent, Problem
from engine.models import WorkItem
from tests.campaign.conftest import approval, registration
from tests.web.conftest import DEMO_PASSWORD
from tests.web.test_api import token
from tests.web_helpers import csrf_token, form_tokens

pytestmark = pytest.mark.usefixtures("june_2022")

NUL = "\x00"


def _review(client: FlaskClient, session: Session) -> tuple[int, dict[str, str]]:
    officer = token(session, "qsz_jbr")
    made = client.post(
        "/api/v1/problems", headers=officer, json={"unit": "QSZ", "data": registration()}
    )
    assert made.status_code == 201
    reviewer = token(session, "qsz_fzr")
    listed = client.get("/api/v1/tasks", headers=reviewer).get_json()
    return listed["items"][0]["id"], reviewer


def test_an_api_completion_with_a_nul_is_refused_and_the_task_stays_open(
    db_session: Session, client: FlaskClient
) -> None:
    task_id, reviewer = _review(client, db_session)
    refused = client.post(
        f"/api/v1/tasks/{task_id}/complete",
        headers=reviewer,
        json={"data": approval(measures=f"追回{NUL}资金")},
    )
    assert refused.status_code == 400
    body = refused.get_json()
    assert "空字符" in body["error"] and set(body["fields"]) == {"data.measures"}
    db_session.expire_all()
    assert db_session.scalars(select(WorkItem.state).where(WorkItem.id == task_id)).one() == "open"
    # Without it the same completion goes through.
    done = client.post(
        f"/api/v1/tasks/{task_id}/complete", headers=reviewer, json={"data": approval()}
    )
    assert done.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tasks?q=a%00b",
        "/api/v1/problems?q=%00",
        "/api/v1/tasks?tab=open%00",
        "/api/v1/tasks?a%00=1",
    ],
)
def test_an_api_query_with_a_nul_is_refused(
    db_session: Session, client: FlaskClient, path: str
) -> None:
    answer = client.get(path, headers=token(db_session, "qsz_fzr"))
    assert answer.status_code == 400
    assert "空字符" in answer.get_json()["error"]


def test_a_nul_in_a_json_key_or_list_is_found_where_it_is(
    db_session: Session, client: FlaskClient
) -> None:
    task_id, reviewer = _review(client, db_session)
    for body, field in (
        ({"data": {f"measures{NUL}": "x"}}, "data.measures\u2400"),
        ({"data": approval(), "extra": ["ok", f"a{NUL}"]}, "extra.1"),
    ):
        answer = client.post(f"/api/v1/tasks/{task_id}/complete", headers=reviewer, json=body)
        assert answer.status_code == 400
        assert set(answer.get_json()["fields"]) == {field}


def test_a_page_form_or_search_goes_through_without_its_nul_characters(
    db_session: Session, client: FlaskClient
) -> None:
    login = client.post(
        "/login",
        data={
            "username": f"qsz{NUL}_jbr",
            "password": DEMO_PASSWORD,
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert login.status_code == 302  # signed in: the name as the person saw it
    officer = client
    tokens = form_tokens(officer, "/problems/new?unit=QSZ")
    sent = officer.post(
        "/problems/new",
        data={**registration(description=f"截留{NUL}补贴{NUL}"), "unit": "QSZ", **tokens},
    )
    assert sent.status_code == 302
    assert db_session.scalars(select(Problem.description)).one() == "截留补贴"
    found = officer.get("/ledger?q=%E6%88%AA%E7%95%99%00")  # 截留 and a NUL
    assert found.status_code == 200 and "截留补贴" in found.get_data(as_text=True)


def test_a_page_address_or_field_name_with_a_nul_is_refused_with_a_page_that_says_why(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    officer = as_user("qsz_jbr")
    for path, said in (("/tasks/1%00", "网址含有空字符"), ("/ledger?q%00=1", "（q␀）")):
        answer = officer.get(path)
        page = answer.get_data(as_text=True)
        assert answer.status_code == 400 and said in page, path
        assert "页面打开时间过长" not in page  # the hint about expired forms is not this


def test_a_nul_in_the_browser_name_is_recorded_as_a_symbol(
    db_session: Session, client: FlaskClient
) -> None:
    task_id, reviewer = _review(client, db_session)
    claimed = client.post(
        f"/api/v1/tasks/{task_id}/claim", headers={**reviewer, "User-Agent": f"bot{NUL}1"}
    )
    assert claimed.status_code == 200
    db_session.expire_all()
    agents = db_session.scalars(select(AuditEvent.user_agent)).all()
    assert "bot\u24001" in agents
    assert audit_verify.verify(db_session).broken is None
