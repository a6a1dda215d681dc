"""Login throttling per account and per client address, with one answer for every failure,
and the password form counting wrong current passwords like the login does."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, bootstrap, passwords
from campaign.login import FAILURE_MESSAGE, LoginOutcome
from campaign.models import AuditEvent, LoginSession, LoginThrottle, User
from core import clock, schema
from core.db import Database
from core.errors import InvalidInput
from tests.databases import fresh_database_url
from tests.factories import GOOD_PASSWORD, make_user
from tests.web_helpers import csrf_token
from tests.web_helpers import login as web_login

ATTACKER = "203.0.113.9"
FAILURE = FAILURE_MESSAGE


def from_address(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def outcomes(session: Session, attempts: list[tuple[str, str]], source: str) -> list[str]:
    return [
        accounts.authenticate(session, name, password, source=source).outcome.value
        for name, password in attempts
    ]


def test_twenty_five_wrong_passwords_from_one_address_against_different_accounts(
    db_session: Session,
) -> None:
    for n in range(25):
        make_user(db_session, f"clerk{n:02d}")
    guesses = [(f"clerk{n:02d}", "Guess#2022pw") for n in range(25)]
    results = outcomes(db_session, guesses, ATTACKER)
    assert results == ["bad_credentials"] * 20 + ["address_blocked"] * 5
    # The address is refused whatever it tries, a right password included ...
    right = accounts.authenticate(db_session, "clerk00", GOOD_PASSWORD, source=ATTACKER)
    assert right.outcome is LoginOutcome.ADDRESS_BLOCKED and right.user is None
    # ... while the accounts themselves are not locked: their owners log in from elsewhere.
    elsewhere = accounts.authenticate(db_session, "clerk00", GOOD_PASSWORD, source="10.0.0.7")
    assert elsewhere.outcome is LoginOutcome.OK
    blocks = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.address_block")
    ).all()
    assert [(b.target, json.loads(b.detail)["failures"]) for b in blocks] == [
        (f"address:{ATTACKER}", 20)
    ]
    clock.advance(timedelta(minutes=15, seconds=1))
    again = accounts.authenticate(db_session, "clerk01", GOOD_PASSWORD, source=ATTACKER)
    assert again.outcome is LoginOutcome.OK


def test_failures_older_than_the_window_are_forgotten(db_session: Session) -> None:
    make_user(db_session, "slow")
    assert (
        outcomes(db_session, [("nobody", "Guess#2022pw")] * 19, ATTACKER)
        == ["bad_credentials"] * 19
    )
    clock.advance(timedelta(minutes=15, seconds=1))
    assert (
        outcomes(db_session, [("nobody", "Guess#2022pw")] * 19, ATTACKER)
        == ["bad_credentials"] * 19
    )


def test_a_success_does_not_clear_the_addresss_count(db_session: Session) -> None:
    """Else an attacker with one account of their own guesses without end between logins."""
    make_user(db_session, "insider")
    outcomes(db_session, [("victim", "Guess#2022pw")] * 19, ATTACKER)
    assert outcomes(db_session, [("insider", GOOD_PASSWORD)], ATTACKER) == ["ok"]
    assert outcomes(db_session, [("victim", "Guess#2022pw")] * 2, ATTACKER) == [
        "bad_credentials",
        "address_blocked",
    ]


def test_the_address_counts_are_in_the_database(db_session: Session) -> None:
    outcomes(db_session, [("nobody", "Guess#2022pw")] * 3, ATTACKER)
    row = db_session.get(LoginThrottle, ATTACKER)
    assert row is not None and row.failures == 3 and row.blocked_until is None


@pytest.fixture
def counted_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every argon2 verification made, by the hash it was made against."""
    made: list[str] = []
    real = passwords.verify_password

    def counting(password_hash: str, password: str) -> bool:
        made.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    yield made


def test_every_failure_spends_one_password_verification(
    db_session: Session, counted_hashing: list[str]
) -> None:
    make_user(db_session, "victim")
    disabled = make_user(db_session, "leaver")
    accounts.disable_user(db_session, disabled)
    for n in range(5):
        accounts.authenticate(db_session, "victim", f"Wrong#{n}pass", source="10.0.0.1")
    counted_hashing.clear()
    cases = {
        "unknown": ("nobody", GOOD_PASSWORD, "10.0.0.2"),
        "locked": ("victim", GOOD_PASSWORD, "10.0.0.3"),
        "disabled": ("leaver", GOOD_PASSWORD, "10.0.0.4"),
        "wrong": ("leaver", "Wrong#2022pw", "10.0.0.5"),
    }
    for name, password, source in cases.values():
        before = len(counted_hashing)
        accounts.authenticate(db_session, name, password, source=source)
        assert len(counted_hashing) == before + 1, name
    outcomes(db_session, [("nobody", "Guess#2022pw")] * 20, ATTACKER)
    before = len(counted_hashing)
    blocked = accounts.authenticate(db_session, "victim", GOOD_PASSWORD, source=ATTACKER)
    assert blocked.outcome is LoginOutcome.ADDRESS_BLOCKED
    assert len(counted_hashing) == before + 1


def test_unknown_wrong_locked_disabled_and_blocked_get_the_same_answer(
    app: Flask, db_session: Session
) -> None:
    make_user(db_session, "known")
    make_user(db_session, "locked")
    accounts.disable_user(db_session, make_user(db_session, "gone"))
    for n in range(5):
        accounts.authenticate(db_session, "locked", f"Wrong#{n}pass", source="10.0.0.1")
    outcomes(db_session, [("nobody", "Guess#2022pw")] * 20, ATTACKER)
    db_session.flush()
    answers = {
        "unknown": web_login(from_address(app, "10.0.1.1"), "nobody", GOOD_PASSWORD),
        "wrong": web_login(from_address(app, "10.0.1.2"), "known", "Wrong#2022pw"),
        "locked": web_login(from_address(app, "10.0.1.3"), "locked", GOOD_PASSWORD),
        "disabled": web_login(from_address(app, "10.0.1.4"), "gone", GOOD_PASSWORD),
        "blocked": web_login(from_address(app, ATTACKER), "known", GOOD_PASSWORD),
    }
    for kind, answer in answers.items():
        assert answer.status_code == 401, kind
        page = answer.get_data(as_text=True)
        assert FAILURE in page, kind
        assert "锁定，请" not in page and "已停用" not in page, kind
    reasons = db_session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "auth.login", AuditEvent.ip.like("10.0.1.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.ip, json.loads(e.detail)["reason"]) for e in reasons] == [
        ("10.0.1.1", "unknown user"),
        ("10.0.1.2", "wrong password"),
        ("10.0.1.3", "locked"),
        ("10.0.1.4", "disabled"),
    ]
    blocked = db_session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "auth.login", AuditEvent.ip == ATTACKER)
        .order_by(AuditEvent.id.desc())
    ).first()
    assert blocked is not None and json.loads(blocked.detail)["reason"] == "address blocked"


def _change(client: FlaskClient, current: str) -> tuple[int, str]:
    answer = client.post(
        "/password",
        data={
            "current_password": current,
            "new_password": "Another#2023",
            "confirm_password": "Another#2023",
            "csrf_token": csrf_token(client, "/password"),
        },
    )
    return answer.status_code, answer.headers.get("Location", "")


def test_five_wrong_current_passwords_end_the_sessions_and_lock_the_account(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    user = make_user(db_session, "hijacked")
    db_session.commit()
    elsewhere = app.test_client()
    web_login(elsewhere, "hijacked", GOOD_PASSWORD)
    web_login(client, "hijacked", GOOD_PASSWORD)
    assert [_change(client, f"Guess#{n}pw")[0] for n in range(4)] == [422] * 4
    assert _change(client, "Guess#4pw") == (302, "/login")
    assert "原密码连续输错" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302 and elsewhere.get("/").status_code == 302
    db_session.expire_all()
    reasons = db_session.scalars(
        select(LoginSession.ended_reason).where(LoginSession.user_id == user.id)
    ).all()
    assert reasons == ["password_attempts", "password_attempts"]
    assert web_login(client, "hijacked", GOOD_PASSWORD).status_code == 401
    clock.advance(timedelta(minutes=15, seconds=1))
    assert web_login(client, "hijacked", GOOD_PASSWORD).status_code == 302
    locks = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.lock")).all()
    assert [json.loads(e.detail)["by"] for e in locks] == ["password form"]


def test_a_right_current_password_resets_the_count(
    db_session: Session, bound_database: Database
) -> None:
    user = make_user(db_session, "typo")
    db_session.commit()

    def attempt(current: str) -> None:
        with bound_database.transaction() as session:
            person = session.get(User, user.id)
            assert person is not None
            accounts.change_own_password(session, person, current, "New#2023x", "New#2023x")

    for n in range(4):
        with pytest.raises(InvalidInput, match="原密码不正确"):
            attempt(f"Guess#{n}pw")
    db_session.expire_all()
    assert db_session.get(User, user.id).failed_logins == 4  # type: ignore[union-attr]
    attempt(GOOD_PASSWORD)
    db_session.expire_all()
    changed = db_session.get(User, user.id)
    assert changed is not None and changed.failed_logins == 0 and changed.locked_until is None


def test_the_password_form_is_refused_while_the_account_is_locked(db_session: Session) -> None:
    user = make_user(db_session, "locked_changer")
    user.locked_until = clock.now() + timedelta(minutes=10)
    with pytest.raises(InvalidInput, match="暂时锁定"):
        accounts.change_own_password(db_session, user, GOOD_PASSWORD, "New#2023x", "New#2023x")
    assert passwords.verify_password(user.password_hash, GOOD_PASSWORD)
    stored = db_session.get(User, user.id)
    assert stored is not None and stored.password_hash == user.password_hash


def test_concurrent_failures_each_count(tmp_path: Path) -> None:
    """Several processes (here threads, each with its own connection) failing at once: the
    address's first row is made once and every failure lands, and the account is locked
    although its five failures were read at the same moment."""
    with fresh_database_url(tmp_path) as url:
        database = Database(url)
        try:
            schema.upgrade(database)
            with database.transaction() as session:
                bootstrap.load_reference_data(session)
                make_user(session, "target", unit_code="CJJ-ZHK", role="supervisor")
            start = threading.Barrier(10)

            def fail(n: int) -> None:
                start.wait()
                name = "target" if n < 5 else f"nobody{n}"
                with database.transaction() as session:
                    accounts.authenticate(session, name, "Wrong#2022pw", source=ATTACKER)

            with ThreadPoolExecutor(max_workers=10) as pool:
                list(pool.map(fail, range(10)))
            with database.transaction() as session:
                row = session.get(LoginThrottle, ATTACKER)
                assert row is not None and row.failures == 10
                target = session.scalars(select(User).where(User.username == "target")).one()
                assert target.is_locked(clock.now())
        finally:
            database.dispose()
