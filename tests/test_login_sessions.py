"""Login sessions end on the server: a cookie captured before logout, a password change or a
disable is refused afterwards, and the idle timeout does not trust the cookie."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, sessions
from campaign.models import AuditEvent, LoginSession, User
from core import clock
from tests.factories import GOOD_PASSWORD, make_user
from tests.web_helpers import csrf_token, login

COOKIE = "session"


def _captured(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def _replay(app: Flask, cookie: str) -> int:
    """What an attacker holding the captured cookie gets from the home page."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie)
    return thief.get("/").status_code


def _change_password(client: FlaskClient, current: str, new: str) -> int:
    return client.post(
        "/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new,
            "csrf_token": csrf_token(client, "/password"),
        },
    ).status_code


def test_a_cookie_captured_before_logout_is_refused_after_it(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    make_user(db_session, "careful")
    login(client, "careful", GOOD_PASSWORD)
    cookie = _captured(client)
    assert _replay(app, cookie) == 200  # the capture works while the session lasts
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert _replay(app, cookie) == 302
    ended = db_session.scalars(select(LoginSession)).one()
    assert ended.ended_at is not None and ended.ended_reason == "logout"


def test_the_cookie_carries_a_random_key_whose_hash_alone_is_stored(
    client: FlaskClient, db_session: Session
) -> None:
    user = make_user(db_session, "keyed")
    login(client, "keyed", GOOD_PASSWORD)
    with client.session_transaction() as cookie_session:
        key = cookie_session["_user_id"]
    assert str(user.id) not in key.split(".") and len(key) >= 40
    row = db_session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).one()
    assert row.key_hash != key and key not in row.key_hash
    assert row.source == "127.0.0.1" and row.created_at == row.last_seen_at


def test_a_password_change_ends_every_other_session_and_keeps_this_one(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    make_user(db_session, "mover")
    elsewhere = app.test_client()
    login(elsewhere, "mover", GOOD_PASSWORD)
    login(client, "mover", GOOD_PASSWORD)
    cookie_before_change = _captured(client)
    assert _change_password(client, GOOD_PASSWORD, "Another#2023") == 302
    assert client.get("/").status_code == 200  # the person who changed it carries on
    assert elsewhere.get("/").status_code == 302
    assert _replay(app, cookie_before_change) == 302
    reasons = db_session.scalars(select(LoginSession.ended_reason)).all()
    assert sorted(r or "" for r in reasons) == ["", "password", "password"]


def test_an_administrators_reset_ends_the_users_sessions(
    client: FlaskClient, db_session: Session
) -> None:
    user = make_user(db_session, "forgetful")
    login(client, "forgetful", GOOD_PASSWORD)
    accounts.set_password(db_session, user, "Temporary#1", must_change=True)
    assert client.get("/").status_code == 302


def test_disabling_an_account_ends_its_sessions_at_once(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    user = make_user(db_session, "leaver")
    login(client, "leaver", GOOD_PASSWORD)
    cookie = _captured(client)
    accounts.disable_user(db_session, user)
    assert client.get("/").status_code == 302
    assert _replay(app, cookie) == 302
    row = db_session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).one()
    assert row.ended_reason == "disabled"
    ends = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.session_end")
    ).all()
    assert [(e.target, '"reason": "disabled"' in e.detail) for e in ends] == [("user:leaver", True)]


def test_the_idle_timeout_is_kept_on_the_server_not_in_the_cookie(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    make_user(db_session, "idler")
    login(client, "idler", GOOD_PASSWORD)
    cookie = _captured(client)
    clock.advance(timedelta(minutes=31))
    # The cookie captured at login says nothing of the time since: the row does.
    assert _replay(app, cookie) == 302
    row = db_session.scalars(select(LoginSession)).one()
    assert row.ended_reason == "idle"
    clock.advance(timedelta(minutes=1))
    assert client.get("/").status_code == 302


def test_last_seen_is_written_at_most_once_a_minute(db_session: Session) -> None:
    clock.freeze(clock.now())
    user = make_user(db_session, "busy")
    key = sessions.open_session(db_session, user, source="10.0.0.1")
    row = db_session.scalars(select(LoginSession)).one()
    opened = row.last_seen_at
    clock.advance(timedelta(seconds=50))
    assert sessions.resume(db_session, key).user is user
    assert row.last_seen_at == opened
    clock.advance(timedelta(seconds=20))
    assert sessions.resume(db_session, key).user is user
    assert row.last_seen_at == clock.now()


def test_keys_that_name_no_open_session_load_nobody(db_session: Session) -> None:
    user = make_user(db_session, "ender")
    key = sessions.open_session(db_session, user)
    for bad in ("", "abc", f"{user.id}.0", f"{user.id}", key + "x"):
        assert sessions.resume(db_session, bad).user is None
    sessions.end_session(db_session, key, sessions.EndReason.LOGOUT)
    assert sessions.resume(db_session, key).user is None


def test_a_disabled_user_is_never_resumed(db_session: Session) -> None:
    user = make_user(db_session, "sleeper")
    key = sessions.open_session(db_session, user)
    user.enabled = False  # even were the sessions not ended with it
    assert sessions.resume(db_session, key).user is None


def test_logout_is_audited_with_its_session(client: FlaskClient, db_session: Session) -> None:
    make_user(db_session, "leaving")
    login(client, "leaving", GOOD_PASSWORD)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    user = db_session.scalars(select(User).where(User.username == "leaving")).one()
    row = db_session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).one()
    logout = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.logout")).one()
    assert logout.actor_name == "leaving" and f'"login_session": {row.id}' in logout.detail
