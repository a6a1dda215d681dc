"""The pages of notices and 催办: 通知 grouped by day and kind, paged, filtered, marked read one
by one or all; the 督办 drill-down's days overdue and 催办 buttons; e-mail and mobile on
账户和角色, the mobile masked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import problems, tasks
from campaign.models import AuditEvent, Notification, Problem, User
from campaign.workflow_host import CampaignHost
from core import clock
from engine.models import WorkItem
from tests.campaign.conftest import approval, open_step, registration
from tests.web_helpers import csrf_token

Client = Callable[[str], FlaskClient]
pytestmark = pytest.mark.usefixtures("june_2022")


def person(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def register(session: Session, count: int = 1) -> list[Problem]:
    officer = person(session, "qsz_jbr")
    return [
        problems.register(session, CampaignHost(), officer, "QSZ", registration())
        for _ in range(count)
    ]


def test_notices_name_the_problem_and_come_grouped_and_paged(
    db_session: Session, as_user: Client
) -> None:
    made = register(db_session, 55)
    reviewer = person(db_session, "qsz_fzr")
    # One of them a reminder of yesterday, to see two days and two kinds.
    older = db_session.scalars(
        select(Notification).where(Notification.user_id == reviewer.id).order_by(Notification.id)
    ).first()
    assert older is not None
    older.kind, older.created_at = "remind-1d", clock.now() - timedelta(days=1)
    db_session.flush()
    client = as_user("qsz_fzr")
    page = client.get("/notifications/").get_data(as_text=True)
    assert made[-1].number in page and "青山镇" in page and "审核登记，落实整改责任" in page
    assert "2022-06-15（今天）" in page and '新待办</span> <span class="hint">50 条' in page
    assert "共 55 条" in page and "第 1 / 2 页" in page
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert "2022-06-14" in second and "到期提醒" in second and made[0].number not in page
    only = client.get("/notifications/?kind=remind").get_data(as_text=True)
    assert "共 1 条" in only and older.text in only
    assert client.get("/notifications/?page=x").status_code == 400


def test_a_notice_is_marked_read_by_its_owner_alone(db_session: Session, as_user: Client) -> None:
    register(db_session, 2)
    reviewer = person(db_session, "qsz_fzr")
    first, second = db_session.scalars(
        select(Notification).where(Notification.user_id == reviewer.id).order_by(Notification.id)
    ).all()
    client = as_user("ldxz_ban")
    token = csrf_token(client, "/notifications/")
    assert (
        client.post(f"/notifications/{first.id}/read", data={"csrf_token": token}).status_code
        == 404
    )
    client.post("/logout", data={"csrf_token": token})
    client = as_user("qsz_fzr")
    token = csrf_token(client, "/notifications/")
    answer = client.post(
        f"/notifications/{first.id}/read", data={"csrf_token": token, "unread": "1"}
    )
    assert answer.status_code == 302 and "unread=1" in answer.headers["Location"]
    db_session.expire_all()
    assert first.read_at is not None and second.read_at is None
    unread = client.get("/notifications/?unread=1").get_data(as_text=True)
    assert "共 1 条" in unread
    client.post("/notifications/read", data={"csrf_token": token})
    db_session.expire_all()
    assert second.read_at is not None
    assert "没有符合条件的通知" in client.get("/notifications/?unread=1").get_data(as_text=True)


def late_step(session: Session) -> WorkItem:
    [problem] = register(session)
    host = CampaignHost()
    tasks.complete(
        session,
        host,
        person(session, "qsz_fzr"),
        open_step(session, problem).id,
        approval(deadline="2022-06-16"),
    )
    clock.freeze(datetime(2022, 6, 21, 2, 0, tzinfo=UTC))
    return open_step(session, problem)


def test_the_drill_down_shows_days_overdue_and_urges_once_a_day(
    db_session: Session, as_user: Client
) -> None:
    step = late_step(db_session)
    client = as_user("ldxz_ban")
    page = client.get(f"/supervise/overdue?unit={step.unit_id}").get_data(as_text=True)
    assert "逾期天数" in page and "5 天" in page and f'name="only" value="{step.id}"' in page
    token = csrf_token(client, "/supervise/")
    answer = client.post(
        "/supervise/urge",
        data={"csrf_token": token, "only": str(step.id), "unit": str(step.unit_id)},
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/supervise/overdue?unit={step.unit_id}")
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "已催办 1 项，通知 2 人" in shown and "今天已催办" in shown
    again = client.post(
        "/supervise/urge",
        data={"csrf_token": token, "items": [str(step.id)]},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "未催办：今天已催办过该事项，每个事项每天只能催办一次，请明天再催" in again
    nothing = client.post("/supervise/urge", data={"csrf_token": token}, follow_redirects=True)
    assert "请选择要催办的事项" in nothing.get_data(as_text=True)
    bad = client.post(
        "/supervise/urge", data={"csrf_token": token, "items": "x"}, follow_redirects=True
    )
    assert "所选事项无效" in bad.get_data(as_text=True)
    told = db_session.scalars(
        select(Notification.text).where(
            Notification.work_item_id == step.id, Notification.kind.startswith("urge")
        )
    ).all()
    assert len(told) == 2


def test_only_the_office_reaches_the_urge_button(db_session: Session, as_user: Client) -> None:
    step = late_step(db_session)
    client = as_user("qsz_fzr")
    token = csrf_token(client, "/notifications/")
    answer = client.post("/supervise/urge", data={"csrf_token": token, "only": str(step.id)})
    assert answer.status_code == 404  # a page of another role is not there for them (authz)
    db_session.expire_all()
    assert not db_session.scalars(
        select(Notification).where(Notification.kind.startswith("urge"))
    ).all()


def test_the_security_administrator_sets_contacts_and_the_mobile_shows_masked(
    db_session: Session, as_user: Client
) -> None:
    officer = person(db_session, "qsz_jbr")
    client = as_user("secadmin")
    token = csrf_token(client, "/admin/users")
    answer = client.post(
        f"/admin/users/{officer.id}/contact",
        data={"csrf_token": token, "email": "jbr@qsz.example.cn", "mobile": "138 0013 8000"},
    )
    assert answer.status_code == 302
    db_session.expire_all()
    assert (officer.email, officer.mobile) == ("jbr@qsz.example.cn", "13800138000")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "138****8000" in page and "13800138000" not in page
    record = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.contact").order_by(AuditEvent.id.desc())
    ).first()
    assert (
        record is not None and "138****8000" in record.detail and "13800138000" not in record.detail
    )
    # A blank mobile keeps the stored number; a bad address is refused in Chinese.
    client.post(
        f"/admin/users/{officer.id}/contact",
        data={"csrf_token": token, "email": "jbr@qsz.example.cn", "mobile": ""},
    )
    db_session.expire_all()
    assert officer.mobile == "13800138000"
    refused = client.post(
        f"/admin/users/{officer.id}/contact",
        data={"csrf_token": token, "email": "不是邮箱", "mobile": "12345"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "电子邮箱格式不正确" in refused
    cleared = client.post(
        f"/admin/users/{officer.id}/contact",
        data={"csrf_token": token, "email": "", "clear_mobile": "1"},
    )
    assert cleared.status_code == 302
    db_session.expire_all()
    assert (officer.email, officer.mobile) == ("", "")
    me = person(db_session, "secadmin")
    own = client.post(
        f"/admin/users/{me.id}/contact",
        data={"csrf_token": token, "email": "me@example.cn"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "不能管理自己的账户和角色" in own
    assert (
        client.post(
            f"/admin/users/{officer.id}/contact", data={"csrf_token": token, "email": ""}
        ).status_code
        == 302
    )
