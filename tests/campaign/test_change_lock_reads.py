"""What a change reads after its case's lock (engine.case_locks.read_for_change, the lock
sent with the read on PostgreSQL): a claim the lock's last holder committed while the change
waited for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from campaign import campaign_cases, tasks
from campaign.workflow_host import CampaignHost
from core.db import Database
from core.errors import Conflict
from tests.campaign.conftest import approval, open_step, registered, registration, user
from tests.databases import fresh_demo_database
from tests.factories import make_user


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Database]:
    with fresh_demo_database(tmp_path) as database:
        yield database


def test_a_completion_that_waited_for_the_lock_sees_the_claim_its_holder_committed(
    fresh: Database,
) -> None:
    host = CampaignHost()
    with fresh.transaction() as session:
        step_id = open_step(session, registered(session, host, registration())).id
        make_user(session, "qsz_fzr_2", role="reviewer")
    holding = threading.Event()
    outcomes: dict[str, object] = {}

    def claim() -> None:
        try:
            with fresh.transaction() as session:
                other = user(session, "qsz_fzr_2")
                assert campaign_cases.visible_item(session, other, step_id, to_change=True)
                tasks.claim(session, host, other, step_id)
                session.flush()
                holding.set()
                time.sleep(0.5)  # the completion arrives meanwhile, and waits for the lock
            outcomes["claim"] = "done"
        except BaseException as failure:
            outcomes["claim"] = failure
            holding.set()

    def complete() -> None:
        holding.wait(10)
        try:
            with fresh.transaction() as session:
                reviewer = user(session, "qsz_fzr")
                item = campaign_cases.visible_item(session, reviewer, step_id, to_change=True)
                assert item is not None
                tasks.complete(session, host, reviewer, step_id, approval())
            outcomes["complete"] = "done"
        except BaseException as failure:
            outcomes["complete"] = failure

    threads = [threading.Thread(target=claim), threading.Thread(target=complete)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes["claim"] == "done", outcomes
    assert isinstance(outcomes["complete"], Conflict), outcomes
    assert "认领" in str(outcomes["complete"])
