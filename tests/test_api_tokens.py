"""API tokens expire, are listed and revoked by their owner or a security administrator, and
stop working while their user is locked, disabled or must change the password."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, tokens
from campaign.models import ApiToken, AuditEvent, User
from core import clock
from core.config import load_settings
from core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from tests.factories import GOOD_PASSWORD, make_user
from tests.web_helpers import csrf_token, login

PROBLEMS = "/api/v1/problems"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def robot(session: Session, name: str = "robot") -> User:
    return make_user(session, name, unit_code="CJJ-ZHK", role="supervisor")


def refusals(session: Session) -> list[tuple[str, str]]:
    """(target, reason) of every refused token use, oldest first."""
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "token.refused").order_by(AuditEvent.id)
    ).all()
    return [(e.target, json.loads(e.detail)["reason"]) for e in events]


def assert_refused(client: FlaskClient, token: str, message: str) -> None:
    answer = client.get(PROBLEMS, headers=bearer(token))
    assert answer.status_code == 401
    assert answer.get_json() == {"error": message}
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_used_after_its_expiry_is_refused_and_recorded(
    client: FlaskClient, db_session: Session
) -> None:
    token = accounts.issue_token(db_session, robot(db_session))
    clock.advance(timedelta(days=89, hours=23))
    assert client.get(PROBLEMS, headers=bearer(token)).status_code == 200
    clock.advance(timedelta(hours=1))
    assert_refused(client, token, "访问令牌已过期，请重新申请")
    assert refusals(db_session) == [("user:robot", "expired")]


def test_tokens_live_for_the_configured_number_of_days(db_session: Session) -> None:
    user = robot(db_session)
    accounts.issue_token(db_session, user)
    accounts.issue_token(db_session, user, days=7)
    lifetimes = [t.expires_at - t.created_at for t in accounts.tokens_of(db_session, user)]
    assert lifetimes == [timedelta(days=7), timedelta(days=90)]
    with pytest.raises(InvalidInput, match="1 至 3650"):
        accounts.issue_token(db_session, user, days=0)


def test_ykt_token_days_is_read_and_checked(tmp_path: object) -> None:
    env = {"YKT_INSTANCE_DIR": str(tmp_path), "YKT_SECRET_KEY": "k"}
    assert load_settings(env).token_days == 90
    assert load_settings({**env, "YKT_TOKEN_DAYS": "30"}).token_days == 30
    for bad in ("0", "-5", "ninety", "3651"):
        with pytest.raises(InvalidInput, match="YKT_TOKEN_DAYS"):
            load_settings({**env, "YKT_TOKEN_DAYS": bad})


def test_a_token_stops_while_its_user_is_locked(client: FlaskClient, db_session: Session) -> None:
    token = accounts.issue_token(db_session, robot(db_session))
    for n in range(5):
        accounts.authenticate(db_session, "robot", f"Wrong#{n}pass")
    db_session.flush()
    assert_refused(client, token, "账户已被暂时锁定，访问令牌暂不可用")
    clock.advance(timedelta(minutes=16))
    assert client.get(PROBLEMS, headers=bearer(token)).status_code == 200


def test_a_token_stops_after_a_password_reset_until_the_password_is_changed(
    client: FlaskClient, db_session: Session
) -> None:
    user = robot(db_session)
    token = accounts.issue_token(db_session, user)
    accounts.set_password(db_session, user, "Temporary#1", must_change=True)
    db_session.flush()
    assert_refused(client, token, "账户须先修改密码，访问令牌暂不可用")
    accounts.change_own_password(db_session, user, "Temporary#1", "Chosen#2023", "Chosen#2023")
    db_session.flush()
    assert client.get(PROBLEMS, headers=bearer(token)).status_code == 200


def test_a_token_of_a_disabled_user_is_revoked(client: FlaskClient, db_session: Session) -> None:
    user = robot(db_session)
    token = accounts.issue_token(db_session, user)
    accounts.disable_user(db_session, user)
    db_session.flush()
    assert_refused(client, token, "访问令牌已吊销")
    disable = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.disable")
    ).one()
    assert json.loads(disable.detail)["tokens_revoked"] == 1


def test_unknown_tokens_get_the_answer_of_a_missing_one_and_are_recorded(
    client: FlaskClient, db_session: Session
) -> None:
    message = "需要有效的访问令牌（Authorization: Bearer …）"
    assert_refused(client, "ykt_made-up-token", message)
    assert_refused(client, "not-even-ours", message)
    assert refusals(db_session) == [("", "unknown"), ("", "unknown")]


def test_the_owner_lists_and_revokes_through_the_api(
    client: FlaskClient, db_session: Session
) -> None:
    user = robot(db_session)
    old = accounts.issue_token(db_session, user)
    clock.advance(timedelta(minutes=5))
    current = accounts.issue_token(db_session, user)
    db_session.flush()
    client.get(PROBLEMS, headers=bearer(old))
    listed = client.get("/api/v1/tokens", headers=bearer(current))
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert [i["prefix"] for i in items] == [current[:10], old[:10]]
    assert set(items[0]) == {
        "id",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "status",
    }
    assert items[1]["last_used_at"] is not None and items[1]["status"] == "active"
    assert old not in listed.get_data(as_text=True)

    revoked = client.delete(f"/api/v1/tokens/{items[1]['id']}", headers=bearer(current))
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert_refused(client, old, "访问令牌已吊销")
    again = client.delete(f"/api/v1/tokens/{items[1]['id']}", headers=bearer(current))
    assert again.status_code == 409 and set(again.get_json()) == {"error"}
    actions = db_session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.action.startswith("token."))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["token.issue", "token.issue", "token.list", "token.revoke", "token.refused"]


def test_nobody_else_revokes_or_sees_a_token(client: FlaskClient, db_session: Session) -> None:
    owner, other = robot(db_session), robot(db_session, "stranger")
    token = accounts.issue_token(db_session, owner)
    token_id = accounts.tokens_of(db_session, owner)[0].id
    stranger = accounts.issue_token(db_session, other)
    answer = client.delete(f"/api/v1/tokens/{token_id}", headers=bearer(stranger))
    assert answer.status_code == 404
    with pytest.raises(NotFound):
        accounts.revoke_token(db_session, token_id, other)
    with pytest.raises(NotFound):
        accounts.tokens_of(db_session, owner, actor=other)
    assert client.get(PROBLEMS, headers=bearer(token)).status_code == 200


def test_a_security_administrator_lists_and_revokes_anyones_token(db_session: Session) -> None:
    owner = robot(db_session)
    accounts.issue_token(db_session, owner)
    security = db_session.scalars(select(User).where(User.username == "secadmin")).one()
    [row] = accounts.tokens_of(db_session, owner, actor=security)
    assert accounts.revoke_token(db_session, row.id, security).revoked_at is not None
    with pytest.raises(Conflict, match="已于此前吊销"):
        accounts.revoke_token(db_session, row.id, security)
    revoke = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "token.revoke")).one()
    assert (revoke.actor_name, revoke.target) == ("secadmin", "user:robot")


def test_last_used_is_written_at_most_once_a_minute(db_session: Session) -> None:
    clock.freeze(clock.now())
    token = accounts.issue_token(db_session, robot(db_session))
    row = db_session.scalars(select(ApiToken)).one()
    tokens.user_for_token(db_session, token)
    first = row.last_used_at
    clock.advance(timedelta(seconds=59))
    tokens.user_for_token(db_session, token)
    assert row.last_used_at == first
    clock.advance(timedelta(seconds=1))
    tokens.user_for_token(db_session, token)
    assert row.last_used_at == clock.now()


def test_a_refusal_is_an_error_the_service_raises(db_session: Session) -> None:
    with pytest.raises(NotAuthenticated):
        tokens.user_for_token(db_session, "ykt_nothing")


def test_my_tokens_page_lists_and_revokes(client: FlaskClient, db_session: Session) -> None:
    user = make_user(db_session, "pagebot")
    token = accounts.issue_token(db_session, user)
    login(client, "pagebot", GOOD_PASSWORD)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/account/tokens"' in home
    page = client.get("/account/tokens").get_data(as_text=True)
    assert token[:10] in page and "有效" in page and "从未使用" in page and token not in page
    row = accounts.tokens_of(db_session, user)[0]
    done = client.post(
        f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_token(client, "/")}
    )
    assert done.status_code == 302
    assert "已吊销令牌" in client.get("/account/tokens").get_data(as_text=True)
    db_session.refresh(row)
    assert row.revoked_at is not None


def test_my_tokens_page_does_not_revoke_anothers(client: FlaskClient, db_session: Session) -> None:
    owner = robot(db_session)
    accounts.issue_token(db_session, owner)
    row = accounts.tokens_of(db_session, owner)[0]
    make_user(db_session, "nosy")
    login(client, "nosy", GOOD_PASSWORD)
    answer = client.post(
        f"/account/tokens/{row.id}/revoke", data={"csrf_token": csrf_token(client, "/")}
    )
    assert answer.status_code == 302
    assert "令牌不存在" in client.get("/account/tokens").get_data(as_text=True)
    db_session.refresh(row)
    assert row.revoked_at is None


def test_the_openapi_document_describes_the_token_calls(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/tokens"]) == {"get"} and set(paths["/tokens/{id}"]) == {"delete"}
