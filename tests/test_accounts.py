from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, passwords, sessions
from campaign.accounts import LoginOutcome
from campaign.models import ApiToken, AuditEvent, User
from campaign.models.accounts import Role
from campaign.org import unit_by_code
from core import clock
from core.db import Database
from core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from tests.factories import GOOD_PASSWORD, make_user


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Ab1!", "至少 8 位"),
        ("abcdefgh", "至少三类"),
        ("abcd1234", "至少三类"),
        ("ABCDEFGH12", "至少三类"),
        ("Tester#2022x", "不能包含用户名"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(
    db_session: Session, password: str, reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason):
        make_user(db_session, "tester", password=password)


def test_three_classes_including_chinese_symbols_are_enough() -> None:
    assert passwords.policy_problems("abcdEFGH1") == []
    assert passwords.policy_problems("整改abcd1234") == []
    assert passwords.policy_problems("ab#cd$ef1") == []


def test_password_is_stored_as_an_argon2_hash(db_session: Session) -> None:
    user = make_user(db_session)
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in user.password_hash


def test_duplicate_user_is_refused(db_session: Session) -> None:
    make_user(db_session, "dup")
    with pytest.raises(Conflict, match="用户已存在"):
        make_user(db_session, "dup")


def test_unknown_unit_code_is_refused(db_session: Session) -> None:
    with pytest.raises(NotFound, match="单位代码不存在：NOPE"):
        make_user(db_session, unit_code="NOPE")


def test_unknown_role_is_refused(db_session: Session) -> None:
    with pytest.raises(InvalidInput, match="未知角色"):
        make_user(db_session, role="emperor")


def test_roles_fit_their_units(db_session: Session) -> None:
    with pytest.raises(InvalidInput, match="纪检监察"):
        make_user(db_session, "role1", unit_code="QSZ", role="discipline")
    with pytest.raises(InvalidInput, match="检查专班成员"):
        make_user(db_session, "role2", unit_code="QSZ", role="inspector")
    assert make_user(db_session, "role3", unit_code="JJW", role="discipline").has_role("discipline")


def test_a_person_holds_several_roles_in_several_units(db_session: Session) -> None:
    user = make_user(db_session, "multi", unit_code="QSZ", role="officer")
    accounts.grant_role(db_session, user, unit_by_code(db_session, "BSZ"), Role.REVIEWER)
    accounts.grant_role(db_session, user, unit_by_code(db_session, "JCZB2"), Role.INSPECTOR)
    assert {(r.unit.code, r.role) for r in user.roles} == {
        ("QSZ", "officer"),
        ("BSZ", "reviewer"),
        ("JCZB2", "inspector"),
    }
    with pytest.raises(Conflict):
        accounts.grant_role(db_session, user, unit_by_code(db_session, "QSZ"), Role.OFFICER)


def test_admin_and_auditor_are_never_the_same_person(db_session: Session) -> None:
    user = make_user(db_session, "sysadmin", unit_code="LKQ", role="admin")
    with pytest.raises(InvalidInput, match="不能同时担任"):
        accounts.grant_role(db_session, user, unit_by_code(db_session, "LKQ"), Role.AUDITOR)


def test_correct_login_succeeds_and_is_audited(db_session: Session) -> None:
    make_user(db_session, "good")
    result = accounts.authenticate(db_session, "good", GOOD_PASSWORD, source="127.0.0.1")
    assert result.outcome is LoginOutcome.OK
    assert result.user is not None and result.user.last_login_at is not None
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.login").order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.success and event.actor_name == "good"


def test_unknown_user_and_wrong_password_look_the_same(db_session: Session) -> None:
    make_user(db_session, "known")
    unknown = accounts.authenticate(db_session, "nobody", GOOD_PASSWORD)
    wrong = accounts.authenticate(db_session, "known", "Wrong#2022pw")
    assert unknown.outcome is wrong.outcome is LoginOutcome.BAD_CREDENTIALS
    assert unknown.message == wrong.message
    assert unknown.message.startswith("用户名或密码错误")


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(db_session: Session) -> None:
    make_user(db_session, "victim")
    outcomes = [
        accounts.authenticate(db_session, "victim", f"Wrong#{n}pass").outcome for n in range(5)
    ]
    assert outcomes == [LoginOutcome.BAD_CREDENTIALS] * 4 + [LoginOutcome.LOCKED]
    sixth = accounts.authenticate(db_session, "victim", GOOD_PASSWORD)
    assert sixth.outcome is LoginOutcome.LOCKED and sixth.user is None
    assert sixth.message == outcomes_message(db_session)  # the lock does not show
    clock.advance(timedelta(minutes=14, seconds=59))
    assert accounts.authenticate(db_session, "victim", GOOD_PASSWORD).outcome is LoginOutcome.LOCKED
    clock.advance(timedelta(seconds=2))
    assert accounts.authenticate(db_session, "victim", GOOD_PASSWORD).outcome is LoginOutcome.OK
    locks = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.lock")).all()
    assert [e.target for e in locks] == ["user:victim"]


def outcomes_message(session: Session) -> str:
    """What a wrong password is told."""
    return accounts.authenticate(session, "nobody-at-all", "Wrong#2022pw").message


def test_a_success_resets_the_failure_count(db_session: Session) -> None:
    make_user(db_session, "careful")
    for n in range(4):
        accounts.authenticate(db_session, "careful", f"Wrong#{n}pass")
    assert accounts.authenticate(db_session, "careful", GOOD_PASSWORD).outcome is LoginOutcome.OK
    for n in range(4):
        accounts.authenticate(db_session, "careful", f"Wrong#{n}pass")
    assert accounts.authenticate(db_session, "careful", GOOD_PASSWORD).outcome is LoginOutcome.OK


def test_disabled_user_cannot_log_in_and_loses_sessions_and_tokens(db_session: Session) -> None:
    user = make_user(db_session, "leaver")
    token = accounts.issue_token(db_session, user)
    key = sessions.open_session(db_session, user)
    accounts.disable_user(db_session, user)
    assert accounts.authenticate(db_session, "leaver", GOOD_PASSWORD).outcome is (
        LoginOutcome.DISABLED
    )
    assert sessions.resume(db_session, key).user is None
    with pytest.raises(NotAuthenticated, match="已吊销"):
        accounts.user_for_token(db_session, token)


def test_password_change_ends_every_session(db_session: Session) -> None:
    user = make_user(db_session, "mover")
    keys = [sessions.open_session(db_session, user) for _ in range(2)]
    accounts.change_own_password(db_session, user, GOOD_PASSWORD, "Another#2023", "Another#2023")
    assert [sessions.resume(db_session, key).user for key in keys] == [None, None]


def test_password_change_needs_the_current_password_and_a_new_one(db_session: Session) -> None:
    user = make_user(db_session, "changer")
    with pytest.raises(InvalidInput, match="原密码不正确"):
        accounts.change_own_password(
            db_session, user, "Wrong#2022pw", "Another#2023", "Another#2023"
        )
    with pytest.raises(InvalidInput, match="两次输入的新密码不一致"):
        accounts.change_own_password(db_session, user, GOOD_PASSWORD, "Another#2023", "Other#2023")
    with pytest.raises(InvalidInput, match="不能与原密码相同"):
        accounts.change_own_password(db_session, user, GOOD_PASSWORD, GOOD_PASSWORD, GOOD_PASSWORD)


def test_a_refused_password_change_is_audited_although_it_is_rolled_back(
    db_session: Session, bound_database: Database
) -> None:
    user = make_user(db_session, "forgetful_changer")
    db_session.commit()
    with pytest.raises(InvalidInput), bound_database.transaction() as session:
        person = session.get(User, user.id)
        assert person is not None
        person.full_name = "改过的名字"  # work of the refused attempt: rolled back
        accounts.change_own_password(
            session, person, "Wrong#2022pw", "Another#2023", "Another#2023"
        )
    db_session.expire_all()
    assert db_session.get(User, user.id).full_name != "改过的名字"  # type: ignore[union-attr]
    refused = db_session.scalars(
        select(AuditEvent).where(AuditEvent.target == "user:forgetful_changer")
    ).all()
    assert [(e.action, e.success) for e in refused][-1] == ("user.password", False)


def test_admin_reset_forces_a_change_at_next_login(db_session: Session) -> None:
    user = make_user(db_session, "forgetful")
    accounts.set_password(db_session, user, "Temporary#1", must_change=True)
    assert user.must_change_password


def test_api_tokens_are_stored_hashed_and_resolve_to_their_user(db_session: Session) -> None:
    user = make_user(db_session, "robot")
    token = accounts.issue_token(db_session, user)
    db_session.flush()
    assert token.startswith("ykt_") and len(token) > 40
    stored = db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert stored.token_hash != token and token not in stored.token_hash
    assert accounts.user_for_token(db_session, token) is user
    assert stored.last_used_at is not None
    for wrong in (token + "x", "not-a-token"):
        with pytest.raises(NotAuthenticated):
            accounts.user_for_token(db_session, wrong)
