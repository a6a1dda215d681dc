"""账户和角色: 停用 asks first, a disabled row offers 启用账户, a locked row 解除锁定."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import User
from tests.web_helpers import csrf_token

Client = Callable[[str], FlaskClient]


def person(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def row_of(page: str, username: str) -> str:
    start = page.index(f'<td data-label="用户名">{username}</td>')
    return page[start : page.find("</tr>", start)]


def test_disabling_asks_first_and_a_disabled_account_is_enabled_again(
    db_session: Session, as_user: Client
) -> None:
    officer = person(db_session, "qsz_jbr")
    client = as_user("secadmin")
    page = client.get("/admin/users").get_data(as_text=True)
    row = row_of(page, "qsz_jbr")
    assert 'data-confirm="确定停用账户 qsz_jbr？' in row
    token = csrf_token(client, "/admin/users")
    client.post(f"/admin/users/{officer.id}/disable", data={"csrf_token": token})
    row = row_of(client.get("/admin/users").get_data(as_text=True), "qsz_jbr")
    assert "已停用" in row and f"/admin/users/{officer.id}/enable" in row
    done = client.post(f"/admin/users/{officer.id}/enable", data={"csrf_token": token})
    assert done.status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    assert "已启用 qsz_jbr" in page and "已停用" not in row_of(page, "qsz_jbr")
    db_session.expire_all()
    assert officer.enabled


def test_a_blank_name_is_refused_and_the_form_keeps_what_was_typed(
    db_session: Session, as_user: Client
) -> None:
    client = as_user("secadmin")
    token = csrf_token(client, "/admin/users")
    typed = {"username": "zhangsan5", "full_name": "   ", "unit": "QSZ", "role": "officer"}
    answer = client.post(
        "/admin/users", data={"csrf_token": token, "password": "Strong#2022pw", **typed}
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "未新建：请填写姓名" in page
    assert 'value="zhangsan5"' in page
    assert '<option value="QSZ" selected' in page and '<option value="officer" selected' in page
    assert db_session.scalars(select(User).where(User.username == "zhangsan5")).first() is None


def test_a_locked_account_shows_until_when_and_is_unlocked(
    db_session: Session, as_user: Client
) -> None:
    reviewer = person(db_session, "ldxz_fzr")
    reviewer.locked_until = datetime(2030, 1, 1, 6, 30, tzinfo=UTC)  # 14:30 in Beijing
    db_session.commit()
    client = as_user("secadmin")
    row = row_of(client.get("/admin/users").get_data(as_text=True), "ldxz_fzr")
    assert "已锁定（至 14:30）" in row and "正常" not in row
    assert f"/admin/users/{reviewer.id}/unlock" in row
    token = csrf_token(client, "/admin/users")
    done = client.post(f"/admin/users/{reviewer.id}/unlock", data={"csrf_token": token})
    assert done.status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    assert "已解除 ldxz_fzr 的锁定" in page and "已锁定" not in row_of(page, "ldxz_fzr")
