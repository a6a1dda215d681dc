"""The file store failing (its disk full, read-only, or gone) while evidence is uploaded: the
form is answered 503 "try again later" with every input, nothing of the completion is saved,
and the page says so; never the 500 of a bug (campaign.files). Production settings."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, files, tasks
from campaign.models import Attachment, Problem, User
from campaign.workflow_host import CampaignHost
from core.config import Settings
from core.db import Database
from core.errors import Unavailable
from engine.models import WorkItem
from tests.campaign.conftest import approval, registered, registration, user
from tests.web.conftest import DEMO_PASSWORD
from tests.web.test_pages import SUBMIT as RECTIFIED
from tests.web_helpers import csrf_token, login
from web import create_app

pytestmark = pytest.mark.usefixtures("june_2022")

SUBMIT = {**RECTIFIED, "measures_taken": "已逐户追回并发放到位"}


@pytest.fixture
def broken_store(bound_database: Database, settings: Settings) -> Flask:
    """The data directory's attachments folder cannot be made: a file stands in its place."""
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "attachments").write_text("not a folder", encoding="utf-8")
    return create_app(database=bound_database, settings=settings, config={"TESTING": False})


def _at_rectify(session: Session) -> tuple[Problem, WorkItem]:
    problem = registered(session, CampaignHost(), registration())
    review = _open(session, problem)
    tasks.complete(session, CampaignHost(), user(session, "qsz_fzr"), review.id, approval())
    session.commit()
    return problem, _open(session, problem)


def _open(session: Session, problem: Problem) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()


def test_the_service_says_the_store_failed(db_session: Session, tmp_path: Path) -> None:
    _problem, step = _at_rectify(db_session)
    (tmp_path / "attachments").write_text("not a folder", encoding="utf-8")
    with pytest.raises(Unavailable, match="文件存储失败"):
        files.store(
            db_session,
            tmp_path,
            user(db_session, "qsz_jbr"),
            step.case_id,
            "证明.pdf",
            io.BytesIO(b"%PDF-1.4 evidence"),
        )
    assert db_session.scalars(select(Attachment)).all() == []


def test_a_form_with_evidence_the_store_cannot_take_comes_back_with_every_input(
    db_session: Session, broken_store: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    _problem, step = _at_rectify(db_session)
    client = broken_store.test_client()
    assert login(client, "qsz_jbr", DEMO_PASSWORD).status_code == 302
    token = csrf_token(client, f"/tasks/{step.id}")
    with caplog.at_level(logging.INFO):
        answer = client.post(
            f"/tasks/{step.id}",
            content_type="multipart/form-data",
            data={
                **SUBMIT,
                "csrf_token": token,
                "evidence__upload": (io.BytesIO(b"%PDF-1.4 evidence"), "证明.pdf"),
            },
        )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30", page
    assert files.STORE_FAILED in page and "已逐户追回并发放到位" in page
    assert "Traceback" not in page
    db_session.expire_all()
    assert db_session.get_one(WorkItem, step.id).state == "open"
    assert db_session.scalars(select(Attachment)).all() == []
    assert any(
        r.levelno == logging.ERROR and "could not be stored" in r.getMessage()
        for r in caplog.records
    ), caplog.text


def test_the_api_answers_a_store_failure_with_503(db_session: Session, broken_store: Flask) -> None:
    _problem, step = _at_rectify(db_session)
    officer = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    headers = {"Authorization": f"Bearer {accounts.issue_token(db_session, officer)}"}
    db_session.commit()
    answer = broken_store.test_client().post(
        f"/api/v1/tasks/{step.id}/files",
        headers=headers,
        data={"file": (io.BytesIO(b"%PDF-1.4 evidence"), "证明.pdf")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert answer.get_json() == {"error": files.STORE_FAILED}
