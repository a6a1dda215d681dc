"""The township's monthly report on its way up: the head reviewing it (审核上报) reads the
figures the officer typed, labelled as awaiting review, on the task page and on the report's
page; and the form refuses more cards held illegally than cards found, on every path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, obligations, tasks
from campaign.models import Obligation, Unit
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.conftest import user
from tests.web.test_api import token
from tests.web_helpers import form_tokens

pytestmark = pytest.mark.usefixtures("june_2022")
MONTHLY = {
    "visited_persons": "120",
    "visited_households": "48",
    "cards_found": "5",
    "banks_involved": "3",
    "cards_illegal": "2",
    "content": "本月入户走访48户，<b>代管</b>两张",
}
TOO_MANY = "不能大于摸排出“一卡通”的总量（张）"


def _june(session: Session) -> Obligation:
    obligations.start_due(session, CampaignHost(), today=date(2022, 6, 15))
    return session.scalars(
        select(Obligation)
        .join(Unit, Unit.id == Obligation.unit_id)
        .where(
            Unit.code == "QSZ",
            Obligation.deadline_code == "monthly_report",
            Obligation.period == "2022-06",
        )
    ).one()


def _open_step(session: Session, june: Obligation) -> WorkItem:
    return session.scalars(
        select(WorkItem).where(WorkItem.case_id == june.case_id, WorkItem.state == "open")
    ).one()


def test_the_head_reads_the_figures_awaiting_review(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    june = _june(db_session)
    fill = _open_step(db_session, june)
    tasks.complete(db_session, CampaignHost(), user(db_session, "qsz_jbr"), fill.id, MONTHLY)
    review = _open_step(db_session, june)
    assert review.bpmn_id == "review_report"
    db_session.commit()

    head = as_user("qsz_fzr")
    task_page = head.get(f"/tasks/{review.id}").get_data(as_text=True)
    assert "待审核的报送内容" in task_page
    assert "违规代管“一卡通”数量（张）" in task_page and "&lt;b&gt;代管&lt;/b&gt;" in task_page
    pending = task_page[task_page.index('id="pending-report"') :]
    assert ">120<" in pending and ">48<" in pending and ">5<" in pending

    report_page = head.get(f"/obligations/{june.id}").get_data(as_text=True)
    assert "待审核的报送内容" in report_page and "尚未报送" not in report_page
    assert ">120<" in report_page[report_page.index('id="pending-report"') :]

    # Approved, the same figures are what was filed, no longer awaiting review.
    tasks.complete(
        db_session, CampaignHost(), user(db_session, "qsz_fzr"), review.id,
        {"report_decision": "approve"},
    )  # fmt: skip
    db_session.commit()
    filed = head.get(f"/obligations/{june.id}").get_data(as_text=True)
    assert "待审核的报送内容" not in filed and ">120<" in filed


def test_the_officer_before_filling_sees_nothing_pending(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    june = _june(db_session)
    db_session.commit()
    page = as_user("qsz_fzr").get(f"/obligations/{june.id}").get_data(as_text=True)
    assert "尚未报送。" in page and "待审核的报送内容" not in page


def test_more_cards_held_than_found_is_refused_beside_the_field(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    june = _june(db_session)
    fill = _open_step(db_session, june)
    db_session.commit()
    officer = as_user("qsz_jbr")
    tokens = form_tokens(officer, f"/tasks/{fill.id}")
    answer = officer.post(f"/tasks/{fill.id}", data={**tokens, **MONTHLY, "cards_illegal": "8"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and TOO_MANY in page
    # Every input kept.
    assert 'value="8"' in page and 'value="120"' in page and "&lt;b&gt;代管" in page
    db_session.expire_all()
    assert _open_step(db_session, june).id == fill.id


def test_the_api_refuses_more_cards_held_than_found(
    db_session: Session, client: FlaskClient
) -> None:
    june = _june(db_session)
    fill = _open_step(db_session, june)
    officer = {
        "Authorization": f"Bearer {accounts.issue_token(db_session, user(db_session, 'qsz_jbr'))}"
    }
    db_session.commit()
    answer = client.post(
        f"/api/v1/tasks/{fill.id}/complete",
        headers=officer,
        json={"data": {**MONTHLY, "cards_illegal": "8"}},
    )
    assert answer.status_code == 422
    assert TOO_MANY in answer.get_json()["fields"]["cards_illegal"]
    equal = client.post(
        f"/api/v1/tasks/{fill.id}/complete",
        headers=officer,
        json={"data": {**MONTHLY, "cards_illegal": "5"}},
    )
    assert equal.status_code in (200, 201)


def test_the_api_shows_the_report_awaiting_review(db_session: Session, client: FlaskClient) -> None:
    june = _june(db_session)
    heads = token(db_session, "qsz_fzr")
    db_session.commit()
    before = client.get(f"/api/v1/obligations/{june.id}", headers=heads).get_json()
    assert before["pending"] is None and before["values"] == []
    fill = _open_step(db_session, june)
    tasks.complete(db_session, CampaignHost(), user(db_session, "qsz_jbr"), fill.id, MONTHLY)
    db_session.commit()
    shown = client.get(f"/api/v1/obligations/{june.id}", headers=heads).get_json()
    assert shown["state"] != "filed" and shown["values"] == []
    pending = shown["pending"]
    figures = {v["label"]: v["text"] for v in pending["values"]}
    assert figures["违规代管“一卡通”数量（张）"] == "2" and "120" in figures.values()
    assert pending["filled_by"] and pending["filled_at"].startswith("20")
    assert isinstance(pending["warnings"], list)
