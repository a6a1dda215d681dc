"""账户和角色: a refused change to one person's row (联系方式, 授予角色) shows the page again with
that row's form as typed and the reason beside it; nothing is saved."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import User
from tests.web_helpers import csrf_token

Client = Callable[[str], FlaskClient]


def person(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def row_of(page: str, username: str) -> str:
    """The table row of one person: from their name's cell to the next row."""
    start = page.index(f'<td data-label="用户名">{username}</td>')
    end = page.find("</tr>", start)
    return page[start:end]


def test_a_refused_contact_keeps_the_typed_address_and_number_in_its_row(
    db_session: Session, as_user: Client
) -> None:
    officer = person(db_session, "qsz_jbr")
    before = (officer.email, officer.mobile)
    client = as_user("secadmin")
    token = csrf_token(client, "/admin/users")
    answer = client.post(
        f"/admin/users/{officer.id}/contact",
        data={"csrf_token": token, "email": "jbr at qsz", "mobile": "139 1234 5678"},
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    row = row_of(page, "qsz_jbr")
    assert 'id="error-summary"' in row and "未保存联系方式：电子邮箱格式不正确" in row
    assert 'value="jbr at qsz"' in row and 'value="139 1234 5678"' in row
    assert page.count('id="error-summary"') == 1  # beside this row only
    assert "jbr at qsz" not in row_of(page, "qsz_fzr")
    db_session.expire_all()
    assert (officer.email, officer.mobile) == before
    # Corrected, it goes through as before.
    done = client.post(
        f"/admin/users/{officer.id}/contact",
        data={"csrf_token": token, "email": "jbr@qsz.example.cn", "mobile": "139 1234 5678"},
    )
    assert done.status_code == 302
    db_session.expire_all()
    assert (officer.email, officer.mobile) == ("jbr@qsz.example.cn", "13912345678")


def test_a_refused_mobile_keeps_the_ticked_clearing_and_the_address(
    db_session: Session, as_user: Client
) -> None:
    officer = person(db_session, "qsz_jbr")
    officer.mobile = "13800138000"
    db_session.commit()
    client = as_user("secadmin")
    token = csrf_token(client, "/admin/users")
    answer = client.post(
        f"/admin/users/{officer.id}/contact",
        data={"csrf_token": token, "email": "new@qsz.example.cn", "mobile": "12345"},
    )
    assert answer.status_code == 422
    row = row_of(answer.get_data(as_text=True), "qsz_jbr")
    assert "手机号码格式不正确" in row
    assert 'value="new@qsz.example.cn"' in row and 'value="12345"' in row
    assert not re.search(r'name="clear_mobile" value="1"\s+checked', row)
    db_session.expire_all()
    assert officer.mobile == "13800138000" and officer.email != "new@qsz.example.cn"
    # 清除手机 ticked beside a refused address stays ticked.
    again = client.post(
        f"/admin/users/{officer.id}/contact",
        data={"csrf_token": token, "email": "@", "mobile": "", "clear_mobile": "1"},
    )
    row = row_of(again.get_data(as_text=True), "qsz_jbr")
    assert again.status_code == 422
    assert re.search(r'name="clear_mobile" value="1"\s+checked', row)
    db_session.expire_all()
    assert officer.mobile == "13800138000"


def test_a_refused_grant_keeps_the_chosen_unit_and_role(
    db_session: Session, as_user: Client
) -> None:
    officer = person(db_session, "qsz_jbr")
    roles_before = {(r.unit.code, r.role) for r in officer.roles}
    unit, role = next(iter(roles_before))
    client = as_user("secadmin")
    token = csrf_token(client, "/admin/users")
    answer = client.post(
        f"/admin/users/{officer.id}/grant",
        data={"csrf_token": token, "unit": unit, "role": role},
    )
    assert answer.status_code == 409
    row = row_of(answer.get_data(as_text=True), "qsz_jbr")
    assert "未授予角色：qsz_jbr 已在" in row and 'id="error-summary"' in row
    assert f'<option value="{unit}" selected>' in row
    assert f'<option value="{role}" selected>' in row
    db_session.expire_all()
    assert {(r.unit.code, r.role) for r in officer.roles} == roles_before


@pytest.mark.parametrize("form", ["contact", "grant"])
def test_ones_own_row_has_no_form_and_its_refusal_is_a_message_at_the_top(
    db_session: Session, as_user: Client, form: str
) -> None:
    me = person(db_session, "secadmin")
    client = as_user("secadmin")
    token = csrf_token(client, "/admin/users")
    answer = client.post(
        f"/admin/users/{me.id}/{form}",
        data={"csrf_token": token, "email": "me@example.cn", "unit": "QSZ", "role": "officer"},
    )
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "不能" in page and 'id="error-summary"' not in page
