"""账户的停用、启用和锁定: a disabled account can be enabled again by the same role that
disables it (a 三员 account only with a second security administrator), a locked one can be
unlocked; each is in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, duties, login
from campaign.login import LoginOutcome
from campaign.models import AccountRequest, AuditEvent, User
from core import clock
from core.errors import Conflict, InvalidInput, NotAllowed
from tests.web.conftest import DEMO_PASSWORD


def person(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def actions_on(session: Session, username: str) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.target == f"user:{username}")
    return list(session.scalars(query.order_by(AuditEvent.id)))


def test_a_disabled_account_is_enabled_again_at_once(db_session: Session) -> None:
    security, officer = person(db_session, "secadmin"), person(db_session, "qsz_jbr")
    duties.disable(db_session, security, officer)
    assert duties.enable(db_session, security, officer) is None
    assert officer.enabled
    assert actions_on(db_session, "qsz_jbr")[-2:] == ["user.disable", "user.enable"]


def test_only_another_security_administrator_enables_an_account(db_session: Session) -> None:
    security, officer = person(db_session, "secadmin"), person(db_session, "qsz_jbr")
    duties.disable(db_session, security, officer)
    with pytest.raises(NotAllowed, match="只有安全管理员"):
        duties.enable(db_session, person(db_session, "admin"), officer)
    with pytest.raises(NotAllowed, match="不能管理自己的账户"):
        duties.enable(db_session, security, security)
    assert not officer.enabled


def test_enabling_a_duty_account_needs_a_second_security_administrator(
    db_session: Session,
) -> None:
    first, second = person(db_session, "secadmin"), person(db_session, "secadmin2")
    auditor = person(db_session, "auditor")
    duties.disable(db_session, first, auditor)
    request = duties.enable(db_session, first, auditor)
    assert isinstance(request, AccountRequest) and request.kind_label == "启用账户"
    assert not auditor.enabled
    with pytest.raises(NotAllowed, match="不能复核自己的申请"):
        duties.approve(db_session, first, request.id)
    duties.approve(db_session, second, request.id)
    assert auditor.enabled
    assert actions_on(db_session, "auditor")[-3:] == [
        "account.request",
        "user.enable",
        "account.approve",
    ]


def test_a_blank_name_is_refused_by_the_service(db_session: Session) -> None:
    security = person(db_session, "secadmin")
    for role in ("officer", "auditor"):  # at once, and as a request
        with pytest.raises(InvalidInput, match="请填写姓名"):
            duties.create_user(
                db_session,
                security,
                username="zhangsan5",
                password="Strong#2022pw",
                full_name="   ",
                unit_code="LKQ" if role == "auditor" else "QSZ",
                role=role,
            )
    with pytest.raises(InvalidInput, match="请填写姓名"):
        accounts.create_user(
            db_session,
            "zhangsan5",
            "Strong#2022pw",
            full_name="\u3000",
            unit_code="QSZ",
            role="officer",
        )
    made = duties.create_user(
        db_session,
        security,
        username="zhangsan5",
        password="Strong#2022pw",
        full_name="  张三  ",
        unit_code="QSZ",
        role="officer",
    )
    assert isinstance(made, User) and made.full_name == "张三"


def lock(session: Session, username: str) -> User:
    for n in range(login.MAX_FAILED_LOGINS):
        login.authenticate(session, username, f"Wrong#{n}pass")
    locked = person(session, username)
    assert locked.is_locked(clock.now())
    return locked


def test_a_locked_account_is_unlocked_by_a_security_administrator(db_session: Session) -> None:
    reviewer = lock(db_session, "ldxz_fzr")
    with pytest.raises(NotAllowed, match="只有安全管理员"):
        duties.unlock(db_session, person(db_session, "admin"), reviewer)
    duties.unlock(db_session, person(db_session, "secadmin"), reviewer)
    assert not reviewer.is_locked(clock.now()) and reviewer.failed_logins == 0
    assert actions_on(db_session, "ldxz_fzr")[-2:] == ["auth.lock", "user.unlock"]
    with pytest.raises(Conflict, match="未被锁定"):
        duties.unlock(db_session, person(db_session, "secadmin"), reviewer)
    assert login.authenticate(db_session, "ldxz_fzr", DEMO_PASSWORD).outcome is LoginOutcome.OK


def test_every_refused_login_says_the_same_and_claims_no_wrong_reason(
    db_session: Session,
) -> None:
    """One answer for every refusal (campaign.login: the state of an account is not
    disclosed); it must not tell the person of a disabled account that it is locked."""
    duties.disable(db_session, person(db_session, "secadmin"), person(db_session, "qsz_jbr"))
    disabled = login.authenticate(db_session, "qsz_jbr", DEMO_PASSWORD)
    wrong = login.authenticate(db_session, "qsz_fzr", "Wrong#0pass")
    assert disabled.outcome is LoginOutcome.DISABLED
    assert disabled.message == wrong.message
    assert "已被暂时锁定" not in disabled.message and "停用" in disabled.message
