"""A form sent twice acts once: a double click, the browser's back-and-resend or a retried
request must not register the same problem, import the same sheet or add the same comment
again; a refused form leaves its token free for the corrected one."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from campaign import problems, submissions
from campaign.models import Comment, FormSubmission, Problem, User
from campaign.submissions import AlreadySubmitted
from campaign.workflow_host import CampaignHost
from core.db import Database
from core.errors import InvalidInput
from engine.models import WorkItem
from tests.campaign.conftest import registration
from tests.reports.sheets import good_row, workbook
from tests.web_helpers import form_tokens

Client = Callable[[str], FlaskClient]


pytestmark = pytest.mark.usefixtures("june_2022")


def _problems(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Problem)) or 0


def test_registering_twice_with_one_form_registers_once(
    db_session: Session, as_user: Client
) -> None:
    client = as_user("qsz_jbr")
    tokens = form_tokens(client, "/problems/new?unit=QSZ")
    refused = client.post(
        "/problems/new", data={**registration(amount="-5"), "unit": "QSZ", **tokens}
    )
    assert refused.status_code == 422 and _problems(db_session) == 0
    # The refusal left the token free: the corrected form goes through, once.
    first = client.post("/problems/new", data={**registration(), "unit": "QSZ", **tokens})
    assert first.status_code == 302
    again = client.post("/problems/new", data={**registration(), "unit": "QSZ", **tokens})
    assert again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert _problems(db_session) == 1
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "该表单已经提交过，未重复处理。已登记问题 2022-QSZ-0001" in shown
    # A new page is a new form: the next registration is a new problem.
    fresh = form_tokens(client, "/problems/new?unit=QSZ")
    assert fresh["once"] != tokens["once"]
    client.post("/problems/new", data={**registration(), "unit": "QSZ", **fresh})
    assert _problems(db_session) == 2


def test_a_forged_token_is_refused_and_stores_nothing(db_session: Session, as_user: Client) -> None:
    client = as_user("qsz_jbr")
    tokens = {**form_tokens(client, "/problems/new?unit=QSZ"), "once": "<script>"}
    response = client.post("/problems/new", data={**registration(), "unit": "QSZ", **tokens})
    assert response.status_code == 422
    assert "表单已失效，请刷新页面后重新提交" in response.get_data(as_text=True)
    assert _problems(db_session) == 0


def _upload(client: FlaskClient, tokens: dict[str, str], content: bytes) -> tuple[int, str]:
    response = client.post(
        "/ledger/import",
        content_type="multipart/form-data",
        data={**tokens, "file": (io.BytesIO(content), "台账.xlsx")},
    )
    return response.status_code, response.get_data(as_text=True)


def test_the_same_upload_sent_twice_imports_once(db_session: Session, as_user: Client) -> None:
    client = as_user("qsz_jbr")
    tokens = form_tokens(client, "/ledger/import")
    sheet = workbook([good_row(), good_row(问题描述="多收手续费")]).getvalue()
    bad = workbook([good_row(**{"涉及金额（元）": -1})]).getvalue()
    status, page = _upload(client, tokens, bad)
    assert status == 422 and _problems(db_session) == 0
    status, page = _upload(client, tokens, sheet)
    assert status == 200 and "已导入 2 条问题" in page
    again = client.post(
        "/ledger/import",
        content_type="multipart/form-data",
        data={**tokens, "file": (io.BytesIO(sheet), "台账.xlsx")},
    )
    assert again.status_code == 302 and again.headers["Location"] == "/ledger"
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "该表单已经提交过，未重复处理。已导入 2 条问题：2022-QSZ-0001 至 2022-QSZ-0002" in page
    assert _problems(db_session) == 2


def test_a_comment_sent_twice_is_added_once(db_session: Session, as_user: Client) -> None:
    officer = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    problem = problems.register(db_session, CampaignHost(), officer, "QSZ", registration())
    item = db_session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()
    client = as_user("qsz_fzr")
    tokens = form_tokens(client, f"/tasks/{item.id}")
    for _ in range(2):
        answer = client.post(f"/tasks/{item.id}/comments", data={**tokens, "text": "请补充照片"})
        assert answer.status_code == 302
    comments = db_session.scalars(select(Comment).where(Comment.case_id == problem.case_id))
    assert [c.text for c in comments] == ["请补充照片"]
    page = client.get(f"/tasks/{item.id}").get_data(as_text=True)
    assert "该表单已经提交过，未重复处理。意见已添加。" in page


def test_two_requests_with_one_token_at_the_same_moment(database: Database) -> None:
    """On separate connections: the second waits for the first's transaction and is then told
    what the first did (SQLite serialises writers; PostgreSQL blocks on the primary key)."""
    token = submissions.new_token()
    started = threading.Event()
    outcomes: list[object] = []

    def first() -> None:
        with database.transaction() as session:
            user = session.scalars(select(User).where(User.username == "qsz_jbr")).one()
            submission = submissions.claim(session, user, token)
            started.set()
            time.sleep(0.5)  # the second request arrives meanwhile
            submissions.record(submission, "已登记问题 2022-QSZ-0099。", "/problems/99")

    def second() -> None:
        started.wait(10)
        try:
            with database.transaction() as session:
                user = session.scalars(select(User).where(User.username == "qsz_jbr")).one()
                outcomes.append(submissions.claim(session, user, token))
        except AlreadySubmitted as repeat:
            outcomes.append(repeat)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        (outcome,) = outcomes
        assert isinstance(outcome, AlreadySubmitted)
        assert outcome.location == "/problems/99" and "2022-QSZ-0099" in str(outcome)
    finally:
        with database.transaction() as session:
            session.execute(delete(FormSubmission).where(FormSubmission.token == token))


def test_tokens_are_checked_before_anything_is_stored(db_session: Session) -> None:
    user = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    assert submissions.claim(db_session, user, None) is None  # a client without tokens
    with pytest.raises(InvalidInput):
        submissions.claim(db_session, user, "../../etc/passwd")
