"""Failed logins cannot be told apart by the clock: an unknown user, a wrong password, a
locked account and a refused address each answer in the time of one argon2 verification,
measured here with the production parameters (the rest of the suite hashes cheaply)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from campaign import passwords
from campaign.models import LoginThrottle, User
from core import clock
from tests.factories import GOOD_PASSWORD, make_user
from tests.web_helpers import csrf_token

TRIES = 5
ROUNDS = 3
TOLERANCE = 1.5  # the slowest median at most 50% above the fastest (a leak is thirtyfold)


@pytest.fixture
def production_hashing() -> Iterator[None]:
    cheap = passwords.use_hasher(PasswordHasher())  # argon2-cffi's defaults, as in production
    yield
    passwords.use_hasher(cheap)


def test_unknown_wrong_locked_and_blocked_logins_take_the_same_time(
    app: Flask, db_session: Session, production_hashing: None
) -> None:
    known = make_user(db_session, "known")
    locked = make_user(db_session, "locked")
    assert known.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    now = clock.now()
    locked.locked_until = now + timedelta(minutes=15)
    db_session.add(
        LoginThrottle(
            address="203.0.113.9",
            failures=0,
            window_started_at=now,
            blocked_until=now + timedelta(minutes=15),
        )
    )
    db_session.flush()
    passwords.burn_verification_time("warm-up")  # the dummy hash is made once per process
    attempts = {
        "unknown": ("10.0.0.1", "nobody", GOOD_PASSWORD),
        "wrong": ("10.0.0.2", "known", "Wrong#2022pw"),
        "locked": ("10.0.0.3", "locked", GOOD_PASSWORD),
        "blocked": ("203.0.113.9", "known", GOOD_PASSWORD),
    }
    clients = {kind: app.test_client() for kind in attempts}

    def medians() -> dict[str, float]:
        times: dict[str, list[float]] = {kind: [] for kind in attempts}
        for _ in range(TRIES):
            for kind, (address, username, password) in attempts.items():  # interleaved: a
                client = clients[kind]  # busy moment of the machine slows every kind alike
                client.environ_base["REMOTE_ADDR"] = address
                data = {
                    "username": username,
                    "password": password,
                    "csrf_token": csrf_token(client, "/login"),
                }
                started = time.perf_counter()
                answer = client.post("/login", data=data)
                times[kind].append(time.perf_counter() - started)
                assert answer.status_code == 401, kind
            # Five tries of the wrong password would lock the account: not what this measures.
            db_session.execute(update(User).where(User.id == known.id).values(failed_logins=0))
        return {kind: statistics.median(values) for kind, values in times.items()}

    # The machine is shared: a round disturbed by other work is measured again. A leak is
    # not noise: a locked account answering without a hash took 12 ms against 600 ms, in
    # every round.
    for _ in range(ROUNDS):
        found = medians()
        print("login failure medians (ms):", {k: round(v * 1000, 1) for k, v in found.items()})
        if max(found.values()) <= TOLERANCE * min(found.values()):
            return
    pytest.fail(f"failed logins differ in time: {found}")
