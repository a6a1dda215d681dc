"""Fixed-value factories for tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from campaign import accounts
from campaign.models import User

GOOD_PASSWORD = "Rectify#2022"


def make_user(
    session: Session,
    username: str = "tester",
    *,
    unit_code: str = "QSZ",
    role: str = "officer",
    password: str = GOOD_PASSWORD,
    must_change_password: bool = False,
) -> User:
    user = accounts.create_user(
        session,
        username,
        password,
        full_name=f"{username} 测试",
        unit_code=unit_code,
        role=role,
        must_change_password=must_change_password,
    )
    session.flush()
    return user
