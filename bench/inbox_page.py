"""The inbox page through the whole Flask stack (routing, session, authorization, queries,
template), on a database the engine benchmark has loaded with work items: `ykt bench` passes
this as its extra measurement, so the figure sits beside the raw query's."""

from __future__ import annotations

import tempfile
from pathlib import Path
from time import perf_counter

from sqlalchemy import insert

from bench.engine.inbox import FIRST_UNIT, InboxSize, Progress
from campaign import accounts
from campaign.models import Unit
from core.config import Settings
from core.db import Database
from web import create_app

WARMUP = 20
REQUESTS = 200
PASSWORD = "Bench#2022inbox"  # noqa: S105 (a throwaway benchmark account)


def page_times(database: Database, size: InboxSize, progress: Progress) -> list[float]:
    """Seconds per GET /inbox/ for a person holding officer and reviewer in one unit."""
    with database.transaction() as session:
        session.execute(
            insert(Unit),
            [
                {
                    "id": FIRST_UNIT + n,
                    "code": f"B{n:04d}",
                    "name": f"单位{n}",
                    "kind": "township",
                    "sort_order": n,
                    "active": True,
                }
                for n in range(size.units)
            ],
        )
        user = accounts.create_user(
            session,
            "bench_officer",
            PASSWORD,
            unit_code="B0000",
            role="officer",
            must_change_password=False,
        )
        accounts.grant_role(
            session,
            user,
            session.get(Unit, FIRST_UNIT),  # type: ignore[arg-type]
            accounts.parse_role("reviewer"),
        )
    with tempfile.TemporaryDirectory(prefix="ykt-bench-web-") as tmp:
        settings = Settings(
            instance_dir=Path(tmp),
            database_url=database.url,
            data_dir=Path(tmp) / "data",
            secret_key="bench-" + "k" * 32,
        )
        app = create_app(database=database, settings=settings, config={"WTF_CSRF_ENABLED": False})
        client = app.test_client()
        answer = client.post("/login", data={"username": "bench_officer", "password": PASSWORD})
        if answer.status_code != 302:
            raise RuntimeError("the benchmark user could not log in")
        progress(f"[{database.dialect}] timing {REQUESTS} inbox pages through Flask")
        times = []
        for n in range(WARMUP + REQUESTS):
            started = perf_counter()
            response = client.get("/inbox/")
            elapsed = perf_counter() - started
            if response.status_code != 200 or "我的待办" not in response.get_data(as_text=True):
                raise RuntimeError(f"inbox page answered {response.status_code}")
            if n >= WARMUP:
                times.append(elapsed)
    return times
