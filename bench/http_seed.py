"""Work for the HTTP load benchmark (bench/http_load.py): what `ykt init --demo` does, on an
empty database, then `problems` problems registered over the six demo townships, each waiting
for its township's 审核, and `users` reviewers spread over those townships, each with an API
token of their own. It prints one JSON object: {"problems": n, "users": [{"username", "unit",
"token"}]}.

It is run as a file, not a module (`python -c 'runpy.run_path(...)'`), with PYTHONPATH set to
the revision under test, so that a baseline revision's database is filled by that revision's
own services; it therefore imports only core and campaign, which every revision has."""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from campaign import accounts, bootstrap, passwords, problems
from campaign.demo import TOWNSHIPS
from campaign.models import Unit
from campaign.workflow_host import CampaignHost
from core import clock, schema
from core.db import Database

PASSWORD = "Bench@2022ykt-load"  # noqa: S105 (accounts of a throwaway database)
BATCH = 200  # problems per transaction


def registration(village: str, index: int) -> dict[str, str]:
    today = clock.now().date()
    return {
        "source": "self_inspection",
        "village": village,
        "programme": "P11",
        "focus_item": "3.3",
        "stat_category": "S02",
        "description": f"压力测试：村会计截留耕地地力保护补贴（第 {index} 件）",
        "amount": "3600.00",
        "cards": "0",
        "households": "3",
        "persons": "7",
        "discovered_on": (today - timedelta(days=5)).isoformat(),
    }


def township_codes() -> list[str]:
    return [code for code, _name, _villages in TOWNSHIPS]


def seed(database: Database, count: int, users: int) -> dict[str, object]:
    codes = township_codes()
    made: list[dict[str, str]] = []
    hashed = passwords.hash_password(PASSWORD)  # once: hashing is slow on purpose
    with database.transaction() as session:
        for code in codes:
            accounts.create_user(
                session,
                f"load_{code.lower()}_jbr",
                "",
                unit_code=code,
                role="officer",
                must_change_password=False,
                password_hash=hashed,
            )
        for index in range(users):
            code = codes[index % len(codes)]
            username = f"load_{code.lower()}_fzr{index // len(codes) + 1}"
            user = accounts.create_user(
                session,
                username,
                "",
                unit_code=code,
                role="reviewer",
                must_change_password=False,
                password_hash=hashed,
            )
            token = accounts.issue_token(session, user, days=1)
            made.append({"username": username, "unit": code, "token": token})
    villages: dict[str, list[str]] = {}
    with database.transaction() as session:
        for code in codes:
            township = session.scalars(select(Unit).where(Unit.code == code)).one()
            villages[code] = list(
                session.scalars(
                    select(Unit.code).where(Unit.parent_id == township.id).order_by(Unit.code)
                )
            )
    host = CampaignHost()
    done = 0
    while done < count:
        with database.transaction() as session:
            for index in range(done, min(count, done + BATCH)):
                code = codes[index % len(codes)]
                officer = accounts.user_by_name(session, f"load_{code.lower()}_jbr")
                village = villages[code][index // len(codes) % len(villages[code])]
                problems.register(session, host, officer, code, registration(village, index))
        done = min(count, done + BATCH)
        print(f"registered {done}/{count}", file=sys.stderr, flush=True)
    return {"problems": count, "users": made}


def init_demo(database: Database) -> None:
    """What `ykt init --demo` does, in this process (one interpreter start less)."""
    schema.upgrade(database)
    with database.transaction() as session:
        bootstrap.initialise(session, with_demo=True, data_dir=Path(os.environ["YKT_DATA_DIR"]))


def main() -> None:
    count, users = int(sys.argv[1]), int(sys.argv[2])
    database = Database(os.environ["YKT_DATABASE_URL"])
    try:
        init_demo(database)
        print(json.dumps(seed(database, count, users)))
    finally:
        database.dispose()


if __name__ == "__main__":
    main()
