"""A database of its own for the tests that start real processes: demo data and a problem
waiting for its rectification, so evidence can be uploaded to it over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from campaign import accounts, bootstrap
from campaign.models import User
from core import clock, schema
from core.config import Settings
from core.db import Database
from tests.campaign.conftest import approval, registration
from tests.databases import fresh_database_url


@dataclass(frozen=True)
class Prepared:
    url: str
    database: Database
    officer: dict[str, str]  # bearer header of an officer of the problem's township
    rectify_task: int


def bearer(database: Database, username: str) -> dict[str, str]:
    with database.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return {"Authorization": f"Bearer {accounts.issue_token(session, user)}"}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared]:
    from web import create_app

    tmp = tmp_path_factory.mktemp("ops")
    with fresh_database_url(tmp) as url:
        database = Database(url)
        schema.upgrade(database)
        with database.transaction() as session:
            bootstrap.initialise(session, with_demo=True, deployed_by="tests")
        settings = Settings(tmp, url, tmp / "data", "prepare-" + "x" * 24)
        client = create_app(database=database, settings=settings).test_client()
        clock.freeze(datetime(2022, 6, 15, 9, tzinfo=UTC))
        try:
            officer, reviewer = bearer(database, "qsz_jbr"), bearer(database, "qsz_fzr")
            created = client.post(
                "/api/v1/problems", headers=officer, json={"unit": "QSZ", "data": registration()}
            )
            assert created.status_code == 201, created.get_json()
            case_id = created.get_json()["case_id"]
            tasks = client.get("/api/v1/tasks", headers=reviewer).get_json()["items"]
            review = next(t for t in tasks if t["case_id"] == case_id)
            done = client.post(
                f"/api/v1/tasks/{review['id']}/complete",
                headers=reviewer,
                json={"data": approval()},
            )
            assert done.status_code == 200, done.get_json()
            rectify = done.get_json()["next"][0]["id"]
        finally:
            clock.reset()
        yield Prepared(url, database, bearer(database, "qsz_jbr"), rectify)
        database.dispose()
