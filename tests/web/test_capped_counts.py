"""The ledger and the inbox count only up to a bound: beyond it they say "more than", and the
pages still go on to the last row. The bound is lowered here so that a few entries pass it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from campaign import ledger_queries, problems
from campaign.models import Problem, User
from campaign.workflow_host import CampaignHost
from core import paging
from tests.campaign.conftest import registration
from tests.web.test_api import token

pytestmark = pytest.mark.usefixtures("june_2022")

ENTRIES = 7
_NUMBER = re.compile(r"2022-QSZ-\d{4}")


@pytest.fixture
def seven_entries(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Seven entries of 青山镇, counted up to 3, listed 2 a page."""
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    monkeypatch.setattr(ledger_queries, "PER_PAGE", 2)
    officer = db_session.scalars(select(User).where(User.username == "qsz_jbr")).one()
    numbers = [
        problems.register(
            db_session,
            CampaignHost(),
            officer,
            "QSZ",
            registration(description=f"第{n}户低保金被村干部代领，共{n}个月"),
        ).number
        for n in range(1, ENTRIES + 1)
    ]
    db_session.flush()
    return numbers


def _officer(session: Session) -> User:
    return session.scalars(select(User).where(User.username == "qsz_jbr")).one()


def _walk(client: FlaskClient, url: str) -> tuple[list[str], list[str]]:
    """Every page of the ledger from `url` on, following 下一页: the numbers listed, and
    what each page said of its total."""
    listed, totals = [], []
    while url:
        page = client.get(url).get_data(as_text=True)
        listed += sorted(set(_NUMBER.findall(page)))
        totals.append(re.search(r"共 ([\d,]+ 条(以上)?)", page).group(1))  # type: ignore[union-attr]
        following = re.search(r'href="([^"]+)">下一页</a>', page)
        url = following.group(1).replace("&amp;", "&") if following else ""
        assert len(totals) <= ENTRIES, "the pages never end"
    return listed, totals


def test_a_ledger_beyond_the_bound_says_more_than_and_still_pages_to_the_end(
    seven_entries: list[str], as_user: object, client: FlaskClient
) -> None:
    as_user("qsz_jbr")  # type: ignore[operator]
    first = client.get("/ledger").get_data(as_text=True)
    assert "共 3 条以上" in first and "第 1 / 2+ 页" in first and "下一页" in first
    assert _NUMBER.findall(first) == seven_entries[:-3:-1]  # the newest registrations first
    listed, totals = _walk(client, "/ledger")
    assert sorted(listed) == sorted(seven_entries)  # every entry once, none lost or repeated
    # The bound moves with the page (at least to its last row); the last page is exact.
    assert totals == ["3 条以上", "4 条以上", "6 条以上", "7 条"]
    last = client.get("/ledger?page=4").get_data(as_text=True)
    assert "下一页" not in last and "第 4 / 4 页" in last


def test_a_search_within_the_bound_is_counted_exactly(
    seven_entries: list[str], as_user: object, client: FlaskClient
) -> None:
    as_user("qsz_jbr")  # type: ignore[operator]
    page = client.get("/ledger?q=第5户低保").get_data(as_text=True)
    assert _NUMBER.findall(page) == [seven_entries[4]] and "共 1 条" in page
    assert "以上" not in page and "下一页" not in page


def test_the_api_says_when_its_total_is_a_lower_bound(
    seven_entries: list[str], db_session: Session, client: FlaskClient
) -> None:
    officer = token(db_session, "qsz_jbr")
    first = client.get("/api/v1/problems?per_page=2", headers=officer).get_json()
    assert (first["total"], first["total_exact"], first["pages"]) == (3, False, 2)
    assert len(first["items"]) == 2
    last = client.get("/api/v1/problems?per_page=2&page=4", headers=officer).get_json()
    assert (last["total"], last["total_exact"], last["pages"]) == (7, True, 4)
    assert len(last["items"]) == 1
    beyond = client.get("/api/v1/problems?per_page=2&page=9", headers=officer).get_json()
    assert beyond["items"] == [] and beyond["total_exact"] is True and beyond["total"] == 7
    # Lists that are not capped say their totals are exact.
    tasks = client.get("/api/v1/tasks", headers=token(db_session, "qsz_fzr")).get_json()
    assert tasks["total_exact"] is True and tasks["total"] == ENTRIES


def test_badges_and_the_inbox_stop_counting_at_the_bound(
    seven_entries: list[str], as_user: object, client: FlaskClient
) -> None:
    as_user("qsz_fzr")  # type: ignore[operator]
    page = client.get("/inbox/").get_data(as_text=True)
    # The menu's badge and the tab's: at most the bound, then "+".
    assert page.count('<span class="badge">3+</span>') == 2
    # The page counts to its own last row (30 a page here): seven, exactly.
    assert "共 7 项" in page and len(set(_NUMBER.findall(page))) == ENTRIES


@pytest.mark.parametrize(
    "fragment",
    ["低保金被村干部", "第3户", "QSZ-000", "2022-QSZ-0006", "2022-qsz-000", "2022-", "个月"],
    ids=repr,
)
def test_the_ledger_finds_fragments_of_numbers_and_descriptions(
    seven_entries: list[str], db_session: Session, client: FlaskClient, fragment: str
) -> None:
    numbers = {p["number"] for p in _searched(client, db_session, fragment)}
    expected = {
        p.number
        for p in db_session.scalars(select(Problem))
        if fragment.upper() in p.number or fragment in p.description
    }
    assert numbers == expected and numbers


@pytest.mark.parametrize("fragment", ["%", "_", "第_户", "2022-%", "2022-QSZ-000_", "\\"])
def test_what_like_gives_a_meaning_stands_for_itself_in_a_search(
    seven_entries: list[str], db_session: Session, client: FlaskClient, fragment: str
) -> None:
    assert _searched(client, db_session, fragment) == []
    # A description that holds it is found, by it alone.
    problems.register(
        db_session, CampaignHost(), _officer(db_session), "QSZ",
        registration(description=f"补贴标准按{fragment}计算"),
    )  # fmt: skip
    db_session.flush()
    found = _searched(client, db_session, fragment)
    assert [p["description"] for p in found] == [f"补贴标准按{fragment}计算"]


def _searched(client: FlaskClient, session: Session, fragment: str) -> list[dict[str, Any]]:
    """The ledger entries the API's search finds (the office of 青山镇 asks)."""
    found = client.get(
        "/api/v1/problems",
        headers=token(session, "qsz_jbr"),
        query_string={"q": fragment, "per_page": 30},
    )
    assert found.status_code == 200
    items: list[dict[str, Any]] = found.get_json()["items"]
    return items


def test_the_start_of_a_number_is_a_range_of_an_index_on_postgresql(
    seven_entries: list[str], db_session: Session
) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        names = {i["name"] for i in inspect(db_session.connection()).get_indexes("problem")}
        assert "ix_problem_number_prefix" not in names  # SQLite: none
        return
    db_session.execute(text("ANALYZE problem"))
    db_session.execute(text("SET LOCAL enable_seqscan = off"))
    statement = select(Problem.id).where(ledger_queries.text_condition("2022-qsz-000"))
    compiled = statement.compile(db_session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = "\n".join(db_session.scalars(text(f"EXPLAIN {compiled}")))
    assert "ix_problem_number_prefix" in plan, plan
    assert "ix_problem_number_trgm" not in plan, plan


def test_a_fragment_search_can_use_the_trigram_indexes_on_postgresql_alone(
    seven_entries: list[str], db_session: Session
) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        names = {i["name"] for i in inspect(db_session.connection()).get_indexes("problem")}
        assert not {n for n in names if n and n.endswith("_trgm")}  # SQLite: as it was
        return
    db_session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(
        db_session.scalars(
            text(
                "EXPLAIN SELECT id FROM problem"
                " WHERE number ILIKE '%QSZ-000%' OR description ILIKE '%低保金被村%'"
            )
        )
    )
    assert "ix_problem_number_trgm" in plan and "ix_problem_description_trgm" in plan
