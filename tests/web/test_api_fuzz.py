"""schemathesis against the API in process (the Flask app under test), as each of several
roles: see tests.api_fuzzing. About 40 s per database in all."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts
from campaign.models import User
from tests.api_fuzzing import ROLES, fuzz

pytestmark = pytest.mark.usefixtures("june_2022")


def _headers(session: Session, username: str) -> dict[str, str]:
    if not username:
        return {}
    user = session.scalars(select(User).where(User.username == username)).one()
    return {"Authorization": f"Bearer {accounts.issue_token(session, user)}"}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_operation_answers_as_documented(app: Flask, db_session: Session, role: str) -> None:
    username, examples = ROLES[role]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    fuzz(schema, _headers(db_session, username), examples).assert_clean(
        authenticated=bool(username)
    )
