"""What the audit log records of web and API requests: who, from which address and browser,
what, and whether it worked, refusals included, and what it leaves out as noise."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import accounts, problems
from campaign.models import AuditEvent, User
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.conftest import registration
from tests.factories import GOOD_PASSWORD, make_user
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import csrf_token, form_tokens, login

pytestmark = pytest.mark.usefixtures("june_2022")

ADDRESS, BROWSER = "10.1.2.3", "TestBrowser/1.0 (审计测试)"


@pytest.fixture
def browser(client: FlaskClient) -> FlaskClient:
    client.environ_base.update({"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": BROWSER})
    return client


class Log:
    """The records made after a point in the test."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.mark = session.scalar(select(func.max(AuditEvent.id))) or 0

    def new(self, action: str | None = None) -> list[AuditEvent]:
        query = select(AuditEvent).where(AuditEvent.id > self.mark).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        return list(self.session.scalars(query))


@pytest.fixture
def log(db_session: Session) -> Iterator[Log]:
    yield Log(db_session)


def _user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def _bearer(session: Session, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts.issue_token(session, _user(session, username))}"}


def test_a_login_records_the_address_and_browser(browser: FlaskClient, log: Log) -> None:
    assert login(browser, "qsz_jbr", DEMO_PASSWORD).status_code == 302
    (event,) = log.new("auth.login")
    assert (event.actor_name, event.success, event.ip, event.user_agent, event.source) == (
        "qsz_jbr",
        True,
        ADDRESS,
        BROWSER,
        "web",
    )


def test_a_page_refused_by_role_is_recorded_with_who_and_where(
    browser: FlaskClient, log: Log
) -> None:
    login(browser, "qsz_jbr", DEMO_PASSWORD)
    assert browser.get("/audit/").status_code == 404
    (denied,) = log.new("access.denied")
    assert (denied.actor_name, denied.success, denied.target) == ("qsz_jbr", False, "/audit/")
    assert (denied.ip, denied.user_agent) == (ADDRESS, BROWSER)
    assert json.loads(denied.detail)["status"] == 404


def test_a_record_a_service_refuses_to_show_is_recorded(
    db_session: Session, browser: FlaskClient, log: Log
) -> None:
    problem = problems.register(
        db_session, CampaignHost(), _user(db_session, "qsz_jbr"), "QSZ", registration()
    )
    item = db_session.scalars(select(WorkItem).where(WorkItem.case_id == problem.case_id)).one()
    make_user(db_session, "bsz_jbr", unit_code="BSZ")  # an officer of another township
    login(browser, "bsz_jbr", GOOD_PASSWORD)
    assert browser.get(f"/tasks/{item.id}").status_code == 404
    (denied,) = log.new("access.denied")
    assert denied.actor_name == "bsz_jbr" and denied.target == f"/tasks/{item.id}"


def test_api_refusals_name_the_token_holder_and_a_wrong_token_is_recorded_without_it(
    db_session: Session, browser: FlaskClient, log: Log
) -> None:
    inspector = _bearer(db_session, "zb1_cy")  # reads no statistics tables
    assert browser.get("/api/v1/reports/attachment2.xlsx", headers=inspector).status_code == 404
    (denied,) = log.new("access.denied")
    assert (denied.actor_name, denied.source, denied.ip) == ("zb1_cy", "api", ADDRESS)

    wrong = "ykt_" + "x" * 43
    assert browser.get("/api/v1/tasks", headers={"Authorization": f"Bearer {wrong}"}).status_code
    (refused,) = log.new("token.refused")
    assert not refused.success and json.loads(refused.detail)["prefix"] == "ykt_xxxxxx"
    assert wrong not in refused.detail
    assert log.new("access.denied") == [denied]  # the 401 itself is not recorded twice


def test_noise_is_not_recorded(browser: FlaskClient, log: Log) -> None:
    assert browser.get("/no/such/page").status_code == 404
    assert browser.get("/static/no-such-file.css").status_code == 404
    assert browser.get("/api/v1/tasks").status_code == 401  # no token at all
    assert browser.get("/").status_code == 302  # to the login page
    assert log.new() == []


def test_claim_unclaim_and_comment_are_recorded(
    db_session: Session, browser: FlaskClient, log: Log
) -> None:
    problem = problems.register(
        db_session, CampaignHost(), _user(db_session, "qsz_jbr"), "QSZ", registration()
    )
    item = db_session.scalars(select(WorkItem).where(WorkItem.case_id == problem.case_id)).one()
    login(browser, "qsz_fzr", DEMO_PASSWORD)
    token = csrf_token(browser, f"/tasks/{item.id}")
    assert browser.post(f"/inbox/{item.id}/claim", data={"csrf_token": token}).status_code == 302
    assert browser.post(f"/inbox/{item.id}/unclaim", data={"csrf_token": token}).status_code == 302
    sent = browser.post(
        f"/tasks/{item.id}/comments",
        data={**form_tokens(browser, f"/tasks/{item.id}"), "text": "请补充凭证"},
    )
    assert sent.status_code == 302
    ours = ("task.claim", "task.unclaim", "case.comment")
    done = [(e.action, e.target, e.actor_name, e.ip) for e in log.new() if e.action in ours]
    target = f"case:{problem.case_id}"
    assert done == [
        ("task.claim", target, "qsz_fzr", ADDRESS),
        ("task.unclaim", target, "qsz_fzr", ADDRESS),
        ("case.comment", target, "qsz_fzr", ADDRESS),
    ]


def test_a_refused_change_is_recorded_once_although_it_is_rolled_back(
    db_session: Session, browser: FlaskClient, log: Log
) -> None:
    problem = problems.register(
        db_session, CampaignHost(), _user(db_session, "qsz_jbr"), "QSZ", registration()
    )
    item = db_session.scalars(select(WorkItem).where(WorkItem.case_id == problem.case_id)).one()
    login(browser, "qsz_fzr", DEMO_PASSWORD)
    refused = browser.post(
        f"/tasks/{item.id}/comments",
        data={**form_tokens(browser, f"/tasks/{item.id}"), "text": "  "},
    )
    assert refused.status_code == 302
    (failed,) = log.new("request.failed")
    assert (failed.actor_name, failed.success, failed.ip) == ("qsz_fzr", False, ADDRESS)
    assert json.loads(failed.detail)["reason"] == "意见内容不能为空"
    assert log.new("case.comment") == []

    wrong = browser.post(
        "/password",
        data={
            "csrf_token": csrf_token(browser, "/password"),
            "current_password": "Wrong#2022pw",
            "new_password": "Another#2023x",
            "confirm_password": "Another#2023x",
        },
    )
    assert wrong.status_code == 422
    (password,) = log.new("user.password")  # in the service's words, not twice
    assert not password.success and log.new("request.failed") == [failed]


def test_downloads_of_tables_and_the_ledger_are_recorded(
    db_session: Session, browser: FlaskClient, log: Log
) -> None:
    login(browser, "ldxz_ban", DEMO_PASSWORD)
    assert browser.get("/reports/attachment2.xlsx").status_code == 200
    assert browser.get("/reports/attachment3.xlsx?by=township").status_code == 200
    assert browser.get("/ledger/export.xlsx?status=open").status_code == 200
    supervisor = _bearer(db_session, "ldxz_ban")
    assert browser.get("/api/v1/reports/attachment2.xlsx", headers=supervisor).status_code == 200
    exports = [(e.target, e.source, e.actor_name, e.ip) for e in log.new("data.export")]
    assert exports == [
        ("attachment2", "web", "ldxz_ban", ADDRESS),
        ("attachment3", "web", "ldxz_ban", ADDRESS),
        ("ledger", "web", "ldxz_ban", ADDRESS),
        ("attachment2", "api", "ldxz_ban", ADDRESS),
    ]
    ledger = json.loads(log.new("data.export")[2].detail)
    assert ledger["status"] == "open" and "rows" in ledger


def test_the_auditors_reading_is_recorded_once_per_page(browser: FlaskClient, log: Log) -> None:
    login(browser, "auditor", DEMO_PASSWORD)
    page = browser.get("/audit/?action=auth")
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert ADDRESS in shown and BROWSER in shown  # the auditor's own login, with where from
    assert '<td data-label="来源" class="nowrap">网页</td>' in shown  # not "web"
    browser.get("/audit/?page=1")
    reads = log.new("audit.read")
    assert len(reads) == 2
    assert json.loads(reads[0].detail) == {"filters": {"action": "auth"}, "page": 1, "shown": 1}


@pytest.mark.parametrize(
    ("user_agent", "shown"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
            "Edge 120 · Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "Safari 17 · iOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox 121 · Linux",
        ),
        ("ykt 命令行（系统用户 root@vm）", "ykt 命令行（系统用户 root@vm）"),
        (BROWSER, BROWSER),
    ],
)
def test_the_audit_page_names_the_browser(user_agent: str, shown: str) -> None:
    from web.audit_log import client_summary

    assert client_summary(user_agent) == shown
