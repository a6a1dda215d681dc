"""转派 from the task page: offered to the unit's head, refused with a reason shown."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import problems, tasks
from campaign.models import Problem, User
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.conftest import approval, registration
from tests.factories import make_user
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import csrf_token, login

pytestmark = pytest.mark.usefixtures("june_2022")


def _user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def _rectify_step(session: Session) -> WorkItem:
    host = CampaignHost()
    problem = problems.register(session, host, _user(session, "qsz_jbr"), "QSZ", registration())
    review = session.scalars(
        select(WorkItem).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()
    tasks.complete(session, host, _user(session, "qsz_fzr"), review.id, approval())
    return session.scalars(
        select(WorkItem)
        .join(Problem, Problem.case_id == WorkItem.case_id)
        .where(Problem.id == problem.id, WorkItem.state == "open")
    ).one()


def test_the_head_hands_a_task_on_from_its_page(db_session: Session, app: Flask) -> None:
    step = _rectify_step(db_session)
    colleague = make_user(db_session, "qsz_jbr2", unit_code="QSZ", role="officer")
    head = app.test_client()
    assert login(head, "qsz_fzr", DEMO_PASSWORD).status_code == 302
    page = head.get(f"/tasks/{step.id}").get_data(as_text=True)
    assert 'id="reassign"' in page and "qsz_jbr2 测试（qsz_jbr2）" in page

    token = csrf_token(head, f"/tasks/{step.id}")
    refused = head.post(
        f"/tasks/{step.id}/reassign",
        data={"csrf_token": token, "person_id": str(colleague.id), "reason": ""},
        follow_redirects=True,
    )
    assert "未转派：转派须填写理由" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(WorkItem, step.id).claimed_by is None  # type: ignore[union-attr]

    done = head.post(
        f"/tasks/{step.id}/reassign",
        data={"csrf_token": token, "person_id": str(colleague.id), "reason": "原经办人出差"},
        follow_redirects=True,
    )
    text = done.get_data(as_text=True)
    assert "已转派" in text and "转派给qsz_jbr2 测试：原经办人出差" in text
    db_session.expire_all()
    assert db_session.get(WorkItem, step.id).claimed_by == colleague.id  # type: ignore[union-attr]


def test_an_officer_is_not_offered_to_hand_tasks_on(db_session: Session, app: Flask) -> None:
    step = _rectify_step(db_session)
    officer = app.test_client()
    assert login(officer, "qsz_jbr", DEMO_PASSWORD).status_code == 302
    page = officer.get(f"/tasks/{step.id}").get_data(as_text=True)
    assert 'id="reassign"' not in page
    token = csrf_token(officer, f"/tasks/{step.id}")
    response = officer.post(
        f"/tasks/{step.id}/reassign",
        data={"csrf_token": token, "person_id": "1", "reason": "想转"},
        follow_redirects=True,
    )
    assert "只有本单位负责人或领导小组办公室可以转派任务" in response.get_data(as_text=True)


def test_the_page_offers_colleagues_and_refuses_oneself(db_session: Session, app: Flask) -> None:
    step = _rectify_step(db_session)
    office = app.test_client()
    assert login(office, "ldxz_ban", DEMO_PASSWORD).status_code == 302
    me = _user(db_session, "ldxz_ban")
    page = office.get(f"/tasks/{step.id}").get_data(as_text=True)
    assert "青山镇经办人（示例）（qsz_jbr）" in page or "（qsz_jbr）" in page
    assert f'<option value="{me.id}"' not in page
    token = csrf_token(office, f"/tasks/{step.id}")
    refused = office.post(
        f"/tasks/{step.id}/reassign",
        data={"csrf_token": token, "person_id": str(me.id), "reason": "我来"},
        follow_redirects=True,
    )
    assert "不能转派给自己" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(WorkItem, step.id).claimed_by is None  # type: ignore[union-attr]
