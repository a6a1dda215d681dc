"""The office's working lists show every record a page at a time, with how many there are:
they used to stop at the first 200 or 500 rows without saying so (群众举报, 明察暗访, 问责,
效果评估 and its closed problems waiting for a visit, a township's 自查走访)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import Inspection, TipOff, VillageVisit
from tests.web_helpers import csrf_token, form_tokens

Client = Callable[[str], FlaskClient]
pytestmark = pytest.mark.usefixtures("june_2022")
PER_PAGE = 2


@pytest.fixture(autouse=True)
def two_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.common.LIST_PER_PAGE", PER_PAGE)


def _links(page: str, pattern: str) -> list[int]:
    return [int(found) for found in re.findall(pattern, page)]


def _walk(client: FlaskClient, path: str, pattern: str) -> tuple[list[str], list[int]]:
    """Every page of a list, following its 下一页 links: the pages' texts and the rows' ids."""
    texts: list[str] = []
    ids: list[int] = []
    url: str | None = path
    while url is not None:
        answer = client.get(url)
        assert answer.status_code == 200, url
        text = answer.get_data(as_text=True)
        texts.append(text)
        ids += _links(text, pattern)
        following = re.search(r'<a href="([^"]+)">下一页</a>', text)
        url = following.group(1).replace("&amp;", "&") if following else None
        assert len(texts) <= 10, "the pager never ends"
    return texts, ids


def test_reports_from_the_public_are_all_listed_newest_first(
    as_user: Client, db_session: Session
) -> None:
    office = as_user("ldxz_ban")
    report = {"programme": "P11", "township": "QSZ", "village": "QSZ01", "caller_phone": ""}
    for n in range(3):
        account = f"第 {n + 1} 件：村干部代领了补贴"
        sent = office.post(
            "/tip-offs/new",
            data={**report, "account": account, **form_tokens(office, "/tip-offs/new")},
        )
        assert sent.status_code == 302, sent.get_data(as_text=True)[:500]
    made = db_session.scalars(select(TipOff.id).order_by(TipOff.id.desc())).all()
    texts, ids = _walk(office, "/tip-offs", r'href="/tip-offs/(\d+)"')
    assert ids == list(made) and len(texts) == 2
    assert "共 3 件；本页第 1–2 件" in texts[0] and "本页第 3–3 件" in texts[1]
    # A filter stays on every page.
    filtered = office.get("/tip-offs?status=received").get_data(as_text=True)
    assert "共 3 件" in filtered and "status=received&amp;page=2" in filtered


def test_visits_of_the_office_are_all_listed(as_user: Client, db_session: Session) -> None:
    office = as_user("ldxz_ban")
    for day in ("2022-06-10", "2022-06-12", "2022-06-11"):
        visit = {"visited_on": day, "places": "青山镇青山村 3 户", "team": "区财金局 王某"}
        sent = office.post(
            "/inspections/new", data={**visit, **form_tokens(office, "/inspections/new")}
        )
        assert sent.status_code == 302
    newest_first = db_session.scalars(
        select(Inspection.id).order_by(Inspection.visited_on.desc(), Inspection.id.desc())
    ).all()
    texts, ids = _walk(office, "/inspections", r'href="/inspections/(\d+)">')
    assert ids == list(newest_first) and "共 3 次" in texts[0]


def test_a_townships_visits_to_villages_are_all_listed(
    as_user: Client, db_session: Session
) -> None:
    officer = as_user("qsz_jbr")
    for village in ("QSZ01", "QSZ02", "QSZ01"):
        data = {"village": village, "visited_on": "2022-06-10", "households": "2", "persons": "5"}
        sent = officer.post("/visits", data={**data, **form_tokens(officer, "/visits")})
        assert sent.status_code == 302
    texts, _ = _walk(officer, "/visits?township=QSZ", r"$^")
    rows = sum(text.count('<td data-label="日期">') for text in texts)
    assert rows == 3 == len(db_session.scalars(select(VillageVisit)).all())
    assert "共 3 次；本页第 1–2 次" in texts[0] and "township=QSZ&amp;page=2" in texts[0]
    # A refused visit keeps the list's first page beside the form.
    refused = officer.post(
        "/visits",
        data={"village": "QSZ01", "visited_on": "", **form_tokens(officer, "/visits")},
    )
    assert refused.status_code == 422 and "共 3 次" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    "user, path",
    [
        ("ldxz_ban", "/tip-offs"),
        ("ldxz_ban", "/inspections"),
        ("ldxz_ban", "/accountability"),
        ("ldxz_ban", "/evaluations"),
        ("ldxz_ban", "/evaluations?waiting_page=x"),
        ("ldxz_ban", "/supervise/overdue"),
        ("qsz_jbr", "/visits?township=QSZ"),
    ],
)
def test_a_bad_page_number_is_refused_in_words(as_user: Client, user: str, path: str) -> None:
    client = as_user(user)
    joined = path if "page" in path else path + ("&" if "?" in path else "?") + "page=0"
    refused = client.get(joined)
    assert refused.status_code == 400
    assert "页码须为 1 至 100000 之间的整数" in refused.get_data(as_text=True)
    superscript = client.get(joined.replace("page=0", "page=²").replace("page=x", "page=²"))
    assert superscript.status_code == 400  # a digit to isdigit, not to int
    beyond = client.get(joined.replace("page=0", "page=50").replace("page=x", "page=50"))
    assert beyond.status_code == 200 and "共 0" in beyond.get_data(as_text=True)
    assert "没有第 50 页，回到第 1 页" in beyond.get_data(as_text=True)


def test_a_visit_arranged_from_a_later_page_returns_to_the_lists_as_shown(
    as_user: Client,
) -> None:
    office = as_user("ldxz_ban")
    tokens = {"csrf_token": csrf_token(office, "/evaluations")}  # no problem waits here
    shown = {"status": "done", "money": "arrived", "page": "2", "waiting_page": "3"}
    answer = office.post(
        "/evaluations/request",
        data={**tokens, "problem": "999999", "method": "visit", "due_on": "2022-07-01", **shown},
    )
    # Refused (no such closed problem): the lists shown again as they were, at the form's
    # address, their search sent to the list's own.
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "未安排回访：" in page
    assert '<option value="done" selected>' in page and '<option value="arrived" selected>' in page
    assert "status=done&amp;money=arrived&amp;waiting_page=3&amp;page=1" in page
    assert "status=done&amp;money=arrived&amp;page=2&amp;waiting_page=1#waiting" in page
    assert '<form class="filters" method="get" action="/evaluations">' in page
    forged = office.post(
        "/evaluations/request",
        data={**tokens, "problem": "1", "status": "x<y"},
    )
    assert forged.status_code == 422 and "x&lt;y" not in forged.get_data(as_text=True)
    bad = office.post("/evaluations/request", data={**tokens, "problem": "1", "page": "²"})
    assert bad.status_code == 400
