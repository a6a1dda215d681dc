"""Looking at a case's page between two of its steps does not cost the next step a restore
of its state (engine.workflow_cache): the page reads a copy of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from campaign import case_views
from campaign.workflow_host import CampaignHost
from engine import spiff, workflow_cache
from tests.campaign.conftest import (
    approval,
    do,
    open_step,
    registered,
    registration,
    submission,
    user,
)


@pytest.fixture
def restores(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    workflow_cache.clear()
    count: list[str] = []
    real = spiff.load_workflow

    def counted(*args: object, **kwargs: object) -> object:
        count.append("restored")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(spiff, "load_workflow", counted)
    yield count
    workflow_cache.clear()


def test_the_case_page_leaves_the_next_step_its_kept_workflow(
    db_session: Session, host: CampaignHost, restores: list[str]
) -> None:
    problem = registered(db_session, host, registration())
    do(db_session, host, "qsz_fzr", problem, approval())  # restored once: registered in a batch
    assert restores == ["restored"]
    assert problem.case_id is not None
    shown = case_views.view(db_session, user(db_session, "qsz_fzr"), problem.case_id)
    assert shown is not None and [i.bpmn_id for i in shown.open_items] == [
        open_step(db_session, problem).bpmn_id
    ]
    assert restores == ["restored", "restored"]  # the page's own copy
    do(db_session, host, "qsz_jbr", problem, submission())
    assert restores == ["restored", "restored"]  # the step used the workflow kept for it
