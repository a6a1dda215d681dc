"""The 督办 drill-down lists every overdue item behind its number, a page at a time: it used
to stop at the first 200 without saying so."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import problems, tasks
from campaign.models import Notification, Problem, User
from campaign.workflow_host import CampaignHost
from core import clock
from engine.models import WorkItem
from tests.campaign.conftest import approval, registration
from tests.web_helpers import csrf_token

Client = Callable[[str], FlaskClient]
pytestmark = pytest.mark.usefixtures("june_2022")
ROW = re.compile(r'name="items" value="(\d+)"')


def _user(session: Session, name: str) -> User:
    return session.scalars(select(User).where(User.username == name)).one()


def _overdue(session: Session, deadlines: list[str]) -> list[WorkItem]:
    """A 整改 step of 青山镇 for each deadline, all of them due before 20 July."""
    host, items = CampaignHost(), []
    for deadline in deadlines:
        problem: Problem = problems.register(
            session, host, _user(session, "qsz_jbr"), "QSZ", registration()
        )
        opened = select(WorkItem).where(
            WorkItem.case_id == problem.case_id, WorkItem.state == "open"
        )
        review = session.scalars(opened).one()
        tasks.complete(
            session, host, _user(session, "qsz_fzr"), review.id, approval(deadline=deadline)
        )
        items.append(session.scalars(opened).one())
    return items


@pytest.fixture
def three_overdue(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> list[WorkItem]:
    monkeypatch.setattr("web.common.LIST_PER_PAGE", 2)
    items = _overdue(db_session, ["2022-07-10", "2022-07-01", "2022-07-05"])
    clock.freeze(datetime(2022, 7, 20, 2, 0, tzinfo=UTC))
    return items


def _rows(page: str) -> list[int]:
    return [int(found) for found in ROW.findall(page)]


def test_every_overdue_item_is_on_some_page_longest_overdue_first(
    three_overdue: list[WorkItem], as_user: Client
) -> None:
    client = as_user("ldxz_ban")
    unit = three_overdue[0].unit_id
    first = client.get(f"/supervise/overdue?unit={unit}").get_data(as_text=True)
    assert "共 3 项" in first and "本页第 1–2 项" in first
    assert "第 1 / 2 页" in first and f"/supervise/overdue?unit={unit}&amp;page=2" in first
    second = client.get(f"/supervise/overdue?unit={unit}&page=2").get_data(as_text=True)
    assert "本页第 3–3 项" in second and "上一页" in second and "下一页" not in second
    by_due = [three_overdue[1].id, three_overdue[2].id, three_overdue[0].id]
    assert _rows(first) + _rows(second) == by_due
    # The dashboard's number for the unit is the list's length.
    board = client.get("/supervise/").get_data(as_text=True)
    assert f'<a href="/supervise/overdue?unit={unit}">3</a>' in board


def test_the_whole_list_of_units_finds_one_by_its_code_in_any_case(
    three_overdue: list[WorkItem], as_user: Client
) -> None:
    client = as_user("ldxz_ban")
    unit = three_overdue[0].unit_id
    for search in ("qsz", "QSZ", "青山"):
        found = client.get(f"/supervise/list/overdue_units?q={search}").get_data(as_text=True)
        assert f'<a href="/supervise/overdue?unit={unit}">3</a>' in found, search
    other = client.get("/supervise/list/overdue_units?q=bsz").get_data(as_text=True)
    assert "/supervise/overdue?unit=" not in other


def test_an_unknown_or_impossible_unit_is_not_found(
    three_overdue: list[WorkItem], as_user: Client
) -> None:
    client = as_user("ldxz_ban")
    for unit in ("999999", "99999999999999999999999", "9" * 5000, "-5", "0", "abc"):
        assert client.get(f"/supervise/overdue?unit={unit}").status_code == 404, unit[:20]
    assert client.get("/supervise/overdue?unit=").status_code == 200  # none asked for: all


def test_a_bucket_keeps_its_filter_across_pages(
    three_overdue: list[WorkItem], as_user: Client
) -> None:
    client = as_user("ldxz_ban")
    page = client.get("/supervise/overdue?bucket=d8_30").get_data(as_text=True)
    # 1 and 5 July are 19 and 15 days past due on 20 July; 10 July is 10 days past.
    assert "共 3 项" in page and "bucket=d8_30&amp;page=2" in page
    week = client.get("/supervise/overdue?bucket=d1_7").get_data(as_text=True)
    assert "共 0 项" in week and "没有逾期事项" in week and "分页" not in week


def test_a_bad_page_is_refused_in_words_and_a_page_past_the_end_is_empty(
    three_overdue: list[WorkItem], as_user: Client
) -> None:
    client = as_user("ldxz_ban")
    for bad in ("abc", "0", "-1", "1e3", "100001"):
        refused = client.get(f"/supervise/overdue?page={bad}")
        assert refused.status_code == 400, bad
        assert "页码须为 1 至 100000 之间的整数" in refused.get_data(as_text=True)
    beyond = client.get("/supervise/overdue?page=9")
    assert beyond.status_code == 200
    text = beyond.get_data(as_text=True)
    assert _rows(text) == [] and "没有逾期事项" in text and "没有第 9 页，回到第 2 页" in text


def test_urging_from_a_later_page_returns_to_that_page(
    three_overdue: list[WorkItem], as_user: Client
) -> None:
    client = as_user("ldxz_ban")
    token = csrf_token(client, "/supervise/overdue?page=2")
    last = three_overdue[0]
    answer = client.post(
        "/supervise/urge",
        data={"csrf_token": token, "only": str(last.id), "page": "2"},
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/supervise/overdue?page=2")
    again = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "今天已催办" in again and _rows(again) == []


def test_only_the_office_sees_the_drill_down(
    three_overdue: list[WorkItem], as_user: Client
) -> None:
    refused = as_user("qsz_jbr").get("/supervise/overdue?page=2")
    assert refused.status_code == 404  # as for any page of another's: not even shown to exist
    assert _rows(refused.get_data(as_text=True)) == []


def test_a_refused_urge_keeps_the_ticks_and_the_note(
    three_overdue: list[WorkItem], as_user: Client
) -> None:
    """催办所选事项 with nothing ticked, or with an item no longer open, shows the page again at
    its page, the note as typed and the ticks as sent, the reason above: the note was lost."""
    client = as_user("ldxz_ban")
    token = csrf_token(client, "/supervise/overdue?page=2")
    note = "请本周内办结并书面报告"
    nothing = client.post("/supervise/urge", data={"csrf_token": token, "note": note, "page": "2"})
    page = nothing.get_data(as_text=True)
    assert nothing.status_code == 422 and 'id="error-summary"' in page
    assert "未催办：请选择要催办的事项" in page and f'value="{note}"' in page
    assert _rows(page) == [three_overdue[0].id]  # page 2 of the drill-down, not page 1
    ticked = [str(item.id) for item in three_overdue[1:]]
    too_long = client.post(
        "/supervise/urge", data={"csrf_token": token, "note": "说" * 101, "items": ticked}
    )
    page = too_long.get_data(as_text=True)
    assert too_long.status_code == 422 and "未催办：催办说明不能超过" in page
    for item in ticked:
        assert f'value="{item}" checked' in page
    assert "未催办" in page and "今天已催办" not in page  # nothing was urged


def test_the_notice_of_an_urge_names_the_office_once(
    three_overdue: list[WorkItem], db_session: Session, as_user: Client
) -> None:
    office = _user(db_session, "ldxz_ban")
    office.full_name = "领导小组办公室（示例）"
    db_session.flush()
    client = as_user("ldxz_ban")
    token = csrf_token(client, "/supervise/overdue")
    only = str(three_overdue[0].id)
    assert (
        client.post("/supervise/urge", data={"csrf_token": token, "only": only}).status_code == 302
    )
    told = db_session.scalars(select(Notification.text).where(Notification.kind.like("urge%")))
    texts = list(told)
    assert texts and all("领导小组办公室（示例）催办" in text for text in texts)
    assert not any("领导小组办公室领导小组办公室" in text for text in texts)
