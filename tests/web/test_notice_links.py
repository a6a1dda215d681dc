"""A notice links to a page its reader may open: a unit head told that the unit's report is
overdue, or that it was urged, cannot open the officer's task, so his notice opens the
report's page (报送管理) instead; the officer's own notice still opens the task."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import notice_board, obligations, reminder_policy, reminders, urging
from campaign.models import Obligation, Unit
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.campaign.conftest import user
from tests.test_held_rows import counted
from tests.web.test_api import token

pytestmark = pytest.mark.usefixtures("june_2022")

LINK = re.compile(r'<td data-label="操作" class="actions">\s*<a href="([^"]+)"')


def _overdue_and_urged(session: Session) -> list[WorkItem]:
    """The scheduler's reports owed by 15 June 2022, reminded and urged: 青山镇's May report
    is overdue."""
    obligations.start_due(session, CampaignHost(), today=date(2022, 6, 15))
    reminders.send(session, reminder_policy.load())
    open_items = list(
        session.scalars(
            select(WorkItem)
            .join(Obligation, Obligation.case_id == WorkItem.case_id)
            .join(Unit, Unit.id == Obligation.unit_id)
            .where(Unit.code == "QSZ", WorkItem.state == "open")
            .order_by(WorkItem.id)
        )
    )
    urging.urge(session, user(session, "ldxz_ban"), [i.id for i in open_items], "请尽快报送")
    session.commit()
    return open_items


def _links(client: FlaskClient) -> list[str]:
    page = client.get("/notifications/")
    assert page.status_code == 200
    return LINK.findall(page.get_data(as_text=True))


def test_every_link_a_unit_head_is_sent_opens(
    db_session: Session,
    as_user: Callable[[str], FlaskClient],
) -> None:
    items = _overdue_and_urged(db_session)
    client = as_user("qsz_fzr")
    links = _links(client)
    assert any(link.startswith("/obligations/") for link in links), links
    for link in links:
        assert client.get(link).status_code == 200, link
    for item in items:  # his notices of the officer's tasks never name the task
        assert f"/tasks/{item.id}" not in links


def test_the_officer_is_still_sent_to_the_task(
    db_session: Session,
    as_user: Callable[[str], FlaskClient],
) -> None:
    items = _overdue_and_urged(db_session)
    client = as_user("qsz_jbr")
    links = _links(client)
    assert any(f"/tasks/{item.id}" == link for item in items for link in links), links
    for link in links:
        assert client.get(link).status_code == 200, link


def test_the_api_names_only_what_its_caller_may_open(
    db_session: Session,
    client: FlaskClient,
) -> None:
    """The API's notices follow the same rule: a head's name the report, not the task."""
    items = _overdue_and_urged(db_session)
    heads, officers = token(db_session, "qsz_fzr"), token(db_session, "qsz_jbr")
    db_session.commit()
    head = client.get("/api/v1/notifications", headers=heads).get_json()["items"]
    about_reports = [n for n in head if n["obligation_id"] is not None]
    assert about_reports, head
    for notice in head:
        assert notice["task_id"] not in {item.id for item in items}, notice
        if notice["task_id"] is not None:
            assert (
                client.get(f"/api/v1/tasks/{notice['task_id']}", headers=heads).status_code == 200
            )
    for notice in about_reports:
        shown = client.get(f"/api/v1/obligations/{notice['obligation_id']}", headers=heads)
        assert shown.status_code == 200
    officer = client.get("/api/v1/notifications", headers=officers).get_json()["items"]
    assert {n["task_id"] for n in officer} & {item.id for item in items}
    assert all(n["obligation_id"] is None for n in officer if n["task_id"] is not None)


def test_where_notices_lead_is_read_at_once_not_task_by_task(db_session: Session) -> None:
    """Deciding where each notice leads reads as many statements for many tasks as for one
    (it read two more a task: a head's 100 notices ran 200)."""
    _overdue_and_urged(db_session)
    head = user(db_session, "qsz_fzr")
    notices = notice_board.latest(db_session, head, limit=100)
    tasks = {n.work_item_id for n in notices} - {None}
    assert len(tasks) >= 3, tasks
    counts = []
    for most in (1, 100):
        db_session.expire_all()
        head = user(db_session, "qsz_fzr")
        asked = [n for n in notice_board.latest(db_session, head, limit=100) if n.work_item_id]
        asked = asked[:most]
        with counted(db_session) as statements:
            targets = notice_board.targets(db_session, head, asked)
        counts.append(len(statements))
    assert counts[1] == counts[0], counts
    assert {t.kind for t in targets.values()} == {"obligation"}
