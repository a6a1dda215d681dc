"""Separated duties (等保 三员): the attacks an administrator with the old rights could make,
each refused; the changes a security administrator may make, each with a second person
where the rules ask for one."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, duties, passwords
from campaign.models import AccountRequest, ApiToken, AuditEvent, RoleAssignment, User
from core.errors import Conflict, InvalidInput, NotAllowed
from tests.web.conftest import DEMO_PASSWORD
from tests.web_helpers import csrf_token, login

NEW_PASSWORD = "Strong#2022pw"


def person(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def new_auditor(session: Session, by: str = "secadmin") -> User | AccountRequest:
    return duties.create_user(
        session,
        person(session, by),
        username="auditor2",
        password=NEW_PASSWORD,
        full_name="第二审计员",
        unit_code="LKQ",
        role="auditor",
    )


def test_the_system_administrator_manages_no_accounts(db_session: Session) -> None:
    admin = person(db_session, "admin")
    with pytest.raises(NotAllowed, match="只有安全管理员"):
        new_auditor(db_session, by="admin")
    with pytest.raises(NotAllowed):
        duties.grant_role(db_session, admin, admin, "CJJ-ZHK", "supervisor")
    with pytest.raises(NotAllowed):
        duties.reset_password(db_session, admin, person(db_session, "auditor"), NEW_PASSWORD)
    with pytest.raises(NotAllowed):
        duties.disable(db_session, admin, person(db_session, "auditor"))


def test_nobody_manages_their_own_account(db_session: Session) -> None:
    security = person(db_session, "secadmin")
    with pytest.raises(NotAllowed, match="不能管理自己"):
        duties.grant_role(db_session, security, security, "CJJ-ZHK", "supervisor")
    own = db_session.scalars(
        select(RoleAssignment).where(RoleAssignment.user_id == security.id)
    ).first()
    assert own is not None
    with pytest.raises(NotAllowed):
        duties.revoke_role(db_session, security, own.id)
    with pytest.raises(NotAllowed):
        duties.reset_password(db_session, security, security, NEW_PASSWORD)
    with pytest.raises(NotAllowed):
        duties.disable(db_session, security, security)
    with pytest.raises(NotAllowed, match="不能为自己授予角色"):  # the rule holds below duties too
        accounts.grant_role(
            db_session, security, own.unit, accounts.parse_role("supervisor"), actor=security
        )


def test_a_new_auditor_needs_a_second_security_administrator(db_session: Session) -> None:
    request = new_auditor(db_session)
    assert isinstance(request, AccountRequest) and request.status == "pending"
    assert db_session.scalars(select(User).where(User.username == "auditor2")).first() is None
    assert request.password_hash and NEW_PASSWORD not in request.password_hash
    with pytest.raises(NotAllowed, match="不能复核自己的申请"):
        duties.approve(db_session, person(db_session, "secadmin"), request.id)
    with pytest.raises(NotAllowed, match="只有安全管理员"):
        duties.approve(db_session, person(db_session, "admin"), request.id)
    duties.approve(db_session, person(db_session, "secadmin2"), request.id)
    made = person(db_session, "auditor2")
    assert made.has_role("auditor") and made.must_change_password
    assert passwords.verify_password(made.password_hash, NEW_PASSWORD)
    assert request.status == "approved" and request.password_hash == ""
    with pytest.raises(Conflict, match="已处理"):
        duties.approve(db_session, person(db_session, "secadmin2"), request.id)
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.target == "user:auditor2")
    ).all()
    assert actions[:1] == ["account.request"] and "account.approve" in actions


def test_resetting_the_auditor_needs_a_second_person_and_can_be_refused(
    db_session: Session,
) -> None:
    auditor = person(db_session, "auditor")
    before = auditor.password_hash
    request = duties.reset_password(
        db_session, person(db_session, "secadmin"), auditor, NEW_PASSWORD
    )
    assert isinstance(request, AccountRequest) and auditor.password_hash == before
    with pytest.raises(InvalidInput, match="理由"):
        duties.refuse(db_session, person(db_session, "secadmin2"), request.id, " ")
    duties.refuse(db_session, person(db_session, "secadmin2"), request.id, "未经审计部门确认")
    assert request.status == "refused" and auditor.password_hash == before
    assert duties.pending(db_session) == []
    last = duties.decided(db_session)[0]  # the requester can read the outcome and the reason
    assert (last.id, last.note, last.decider) == (
        request.id,
        "未经审计部门确认",
        person(db_session, "secadmin2"),
    )


def test_ordinary_accounts_change_at_once_and_roles_can_be_revoked(db_session: Session) -> None:
    security = person(db_session, "secadmin")
    officer = duties.create_user(
        db_session,
        security,
        username="qsz_new",
        password=NEW_PASSWORD,
        full_name="新经办人",
        unit_code="QSZ",
        role="officer",
    )
    assert isinstance(officer, User) and officer.has_role("officer")
    granted = duties.grant_role(db_session, security, officer, "QSZ", "reviewer")
    assert isinstance(granted, RoleAssignment) and officer.has_role("reviewer")
    assert duties.revoke_role(db_session, security, granted.id) == (
        "qsz_new 在青山镇的“单位负责人（审核人）”角色"
    )
    assert not officer.has_role("reviewer") and officer.has_role("officer")
    revoked = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "role.revoke")).one()
    assert revoked.actor_id == security.id and revoked.target == "user:qsz_new"


def test_a_disabled_security_administrator_can_no_longer_act(db_session: Session) -> None:
    first, second = person(db_session, "secadmin"), person(db_session, "secadmin2")
    request = new_auditor(db_session)
    duties.disable(db_session, first, second)
    assert not second.enabled
    with pytest.raises(NotAllowed):
        duties.approve(db_session, second, request.id)


def test_the_pages_follow_the_duties(db_session: Session, app: Flask) -> None:
    admin = app.test_client()
    assert login(admin, "admin", DEMO_PASSWORD).status_code == 302
    assert admin.get("/admin/users").status_code == 404
    assert admin.get("/admin/units").status_code == 200
    security = app.test_client()
    assert login(security, "secadmin", DEMO_PASSWORD).status_code == 302
    assert security.get("/admin/units").status_code == 404
    token = csrf_token(security, "/admin/users")
    asked = security.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "auditor2",
            "full_name": "第二审计员",
            "unit": "LKQ",
            "role": "auditor",
            "password": NEW_PASSWORD,
        },
        follow_redirects=True,
    )
    page = asked.get_data(as_text=True)
    assert "须由另一名安全管理员复核同意后生效" in page and "等待另一名安全管理员复核" in page
    refused = security.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "x",
            "full_name": "",
            "unit": "LKQ",
            "role": "officer",
            "password": NEW_PASSWORD,
        },
        follow_redirects=True,
    )
    assert "用户名须为 3–64 位" in refused.get_data(as_text=True)
    second = app.test_client()
    assert login(second, "secadmin2", DEMO_PASSWORD).status_code == 302
    request = db_session.scalars(select(AccountRequest)).one()
    approved = second.post(
        f"/admin/requests/{request.id}/approve",
        data={"csrf_token": csrf_token(second, "/admin/users")},
        follow_redirects=True,
    )
    assert "已同意新建账户（auditor2），已生效" in approved.get_data(as_text=True)
    db_session.expire_all()
    assert person(db_session, "auditor2").has_role("auditor")


def test_the_security_administrator_sees_and_revokes_anyones_token(
    db_session: Session, app: Flask
) -> None:
    officer = person(db_session, "qsz_jbr")
    accounts.issue_token(db_session, officer)
    security = app.test_client()
    assert login(security, "secadmin", DEMO_PASSWORD).status_code == 302
    page = security.get(f"/admin/users/{officer.id}/tokens").get_data(as_text=True)
    assert "青山镇经办人（示例）（qsz_jbr）的 API 令牌" in page and "有效" in page
    row = db_session.scalars(select(ApiToken).where(ApiToken.user_id == officer.id)).one()
    token = csrf_token(security, f"/admin/users/{officer.id}/tokens")
    revoked = security.post(
        f"/admin/tokens/{row.id}/revoke", data={"csrf_token": token}, follow_redirects=True
    )
    assert f"已吊销令牌 {row.prefix}…" in revoked.get_data(as_text=True)
    db_session.expire_all()
    assert row.revoked_at is not None
    again = security.post(
        f"/admin/tokens/{row.id}/revoke", data={"csrf_token": token}, follow_redirects=True
    )
    assert "已于此前吊销" in again.get_data(as_text=True)
    officer_client = app.test_client()
    assert login(officer_client, "qsz_fzr", DEMO_PASSWORD).status_code == 302
    assert officer_client.get(f"/admin/users/{officer.id}/tokens").status_code == 404


def test_the_accounts_page_shows_what_the_decision_needs(db_session: Session, app: Flask) -> None:
    security = app.test_client()
    assert login(security, "secadmin", DEMO_PASSWORD).status_code == 302
    token = csrf_token(security, "/admin/users")
    typed = {"username": "qsz_jbr", "full_name": "重名者", "unit": "BSZ", "role": "officer"}
    refused = security.post(
        "/admin/users", data={"csrf_token": token, "password": NEW_PASSWORD, **typed}
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "未新建：用户已存在：qsz_jbr" in page
    assert 'value="qsz_jbr"' in page and 'value="重名者"' in page  # kept, but not the password
    assert 'value="BSZ" selected' in page and 'value="officer" selected' in page
    assert NEW_PASSWORD not in page

    new_auditor(db_session)
    duties.reset_password(
        db_session, person(db_session, "secadmin"), person(db_session, "auditor"), NEW_PASSWORD
    )
    second = app.test_client()
    assert login(second, "secadmin2", DEMO_PASSWORD).status_code == 302
    page = second.get("/admin/users").get_data(as_text=True)
    pending = page[page.index('id="requests"') : page.index('id="new-account"')]
    # for whom, which role in which unit (by name), who asked: not codes
    assert "auditor2（第二审计员）" in pending and "鄂州市临空经济区 · 审计管理员" in pending
    assert "LKQ" not in pending and "安全管理员（示例）（secadmin）" in pending
    assert "现有角色：鄂州市临空经济区 · 审计管理员" in pending  # the reset's account as it is
    assert "本人账户，须由另一名安全管理员办理" in page

    reset = db_session.scalars(select(AccountRequest).where(AccountRequest.kind == "reset")).one()
    second.post(
        f"/admin/requests/{reset.id}/refuse",
        data={"csrf_token": csrf_token(second, "/admin/users"), "note": "未经审计部门确认"},
    )
    page = security.get("/admin/users").get_data(as_text=True)
    decided = page[page.index('id="decided"') :]
    assert "不同意" in decided and "未经审计部门确认" in decided and "（secadmin2）" in decided
