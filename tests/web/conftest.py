from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from core import clock
from tests.web_helpers import login

DEMO_PASSWORD = "Demo@2022ykt"
ROLE_USERS = {
    "officer": "qsz_jbr",
    "reviewer": "qsz_fzr",
    "supervisor": "ldxz_ban",
    "inspector": "zb1_cy",
    "discipline": "jjw_jc",
    "admin": "admin",
    "security": "secadmin",
    "auditor": "auditor",
}


@pytest.fixture
def as_user(client: FlaskClient) -> Callable[[str], FlaskClient]:
    def sign_in(username: str) -> FlaskClient:
        response = login(client, username, DEMO_PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return sign_in


@pytest.fixture
def june_2022() -> Iterator[None]:
    """A working day of the 2022 campaign, for pages whose dates and deadlines depend on it."""
    clock.freeze(datetime(2022, 6, 15, 2, 0, tzinfo=UTC))
    yield
    clock.reset()
