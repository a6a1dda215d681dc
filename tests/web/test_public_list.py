"""The public 公示 list: newest first, its rows' names read for the whole page at once (its
statements do not grow with its rows), counted only up to a bound like the ledger (a province
publishes half a million entries). Entries are marked published here directly: how they
come to be published is the lifecycle's tests' concern; this is the list's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from campaign.models import Problem
from campaign.workflow_host import CampaignHost
from core import paging
from core.db import Database
from tests.campaign.conftest import registered, registration
from tests.web.test_completion_statements import counted

pytestmark = pytest.mark.usefixtures("june_2022")

VILLAGES = [
    ("QSZ01", "P11", "S02", "3.3"),
    ("QSZ02", "P01", "S07", "1.2"),
    ("QSZ04", "P09", "S06", "1.3"),
    ("QSZ05", "P12", "S08", "1.2"),
]
_TEXT = re.compile(r"第(\d+)条已整改")


def _publish(session: Session, count: int, first: int = 1) -> list[Problem]:
    made = []
    at = datetime(2022, 6, 20, 8, tzinfo=UTC)
    for n in range(first, first + count):
        village, programme, category, focus = VILLAGES[n % len(VILLAGES)]
        data = registration(
            village=village, programme=programme, stat_category=category, focus_item=focus
        )
        problem = registered(session, CampaignHost(), data)
        problem.status = "closed"
        problem.public_text = f"第{n}条已整改"
        problem.published_at = at + timedelta(minutes=n)
        made.append(problem)
    session.commit()
    return made


def _shown(page: str) -> list[int]:
    return [int(n) for n in _TEXT.findall(page)]


def test_the_public_list_reads_its_rows_names_for_the_whole_page(
    db_session: Session, bound_database: Database, client: FlaskClient
) -> None:
    _publish(db_session, 1)
    client.get("/public/")
    with counted(bound_database) as one:
        page = client.get("/public/").get_data(as_text=True)
    assert _shown(page) == [1]
    _publish(db_session, 4, first=2)
    with counted(bound_database) as five:
        page = client.get("/public/").get_data(as_text=True)
    assert len(five) == len(one), f"{len(one)} statements for one row, {len(five)} for five"
    assert _shown(page) == [5, 4, 3, 2, 1]  # the newest first
    for name in ("青山村", "新华村", "柳塘村", "困难群众救助资金", "高龄津贴财政补助资金"):
        assert name in page
    assert "共 5 条" in page


def test_the_public_list_counts_up_to_a_bound_and_pages_on(
    db_session: Session, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    _publish(db_session, 22)
    first = client.get("/public/").get_data(as_text=True)
    assert _shown(first) == list(range(22, 2, -1))  # 20 a page, the newest first
    assert "共 20 条以上" in first  # counted up to the page's bound, no further
    following = re.search(r'href="([^"]+)">下一页</a>', first)
    assert following is not None
    second = client.get(following.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _shown(second) == [2, 1] and "共 22 条" in second
    answer = client.get("/api/v1/public/disclosures.json").get_json()
    assert answer["total"] == 20 and answer["total_exact"] is False
    assert len(answer["items"]) == 20
