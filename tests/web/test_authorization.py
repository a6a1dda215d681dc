"""Authorization from one place: every route has a rule, and every role meets it."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts
from campaign.models import User
from tests.web.conftest import DEMO_PASSWORD, ROLE_USERS
from tests.web_helpers import login
from web.authz import RULE_ATTRIBUTE, Access


def _routes(app: Flask) -> list[tuple[str, str, Access]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        access = getattr(view, RULE_ATTRIBUTE, None)
        assert access is not None, f"route {rule.rule} ({rule.endpoint}) has no access rule"
        if "GET" in (rule.methods or set()):
            found.append((re.sub(r"<(?:int:)?[^>]+>", _sample, rule.rule), rule.endpoint, access))
    return found


def _sample(match: re.Match[str]) -> str:
    """A value for a rule's variable: a number, the first a rule's own list allows
    (<any(a, b):name>), or a process key."""
    listed = re.match(r"<any\(([^,)]+)", match.group(0))
    if listed:
        return listed.group(1).strip()
    return "1" if match.group(0).startswith("<int:") else "problem_lifecycle"


def test_every_route_declares_who_may_use_it(app: Flask) -> None:
    assert len(_routes(app)) > 15


@pytest.mark.parametrize("role", [None, *ROLE_USERS])
def test_every_role_meets_every_routes_rule(
    app: Flask, client: FlaskClient, db_session: Session, role: str | None
) -> None:
    user = None
    bearer: dict[str, str] = {}
    if role is not None:
        assert login(client, ROLE_USERS[role], DEMO_PASSWORD).status_code == 302
        user = db_session.scalars(select(User).where(User.username == ROLE_USERS[role])).one()
        bearer = {"Authorization": f"Bearer {accounts.issue_token(db_session, user)}"}
    for path, endpoint, access in _routes(app):
        response = client.get(path, headers=bearer if access.api else {})
        assert response.status_code < 500, f"{role} GET {path}: {response.status_code}"
        if access.public:
            assert response.status_code in (200, 302), f"{role} GET public {path}"
        elif role is None:
            if access.api:
                assert response.status_code == 401, f"anonymous {path}"
            else:
                assert response.status_code == 302, f"anonymous {path}"
                assert "/login" in response.headers["Location"]
        elif not access.admits(user):
            assert response.status_code == 404, f"{role} reached {path} ({endpoint})"
        else:
            assert response.status_code in (200, 302, 404), f"{role} GET {path}"


def test_a_route_without_a_rule_is_refused(app: Flask, client: FlaskClient) -> None:
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert client.get("/forgotten").status_code == 404
