"""The 督办 page's long tables show their first rows and link to the whole table, a page at
a time and searchable: on a province's 1,257 townships the page weighed 2.4 MB."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import KeyCheck, Unit
from campaign.models.org import UnitKind
from tests.web_helpers import csrf_token

Client = Callable[[str], FlaskClient]
pytestmark = pytest.mark.usefixtures("june_2022")
TOWNSHIP_ROW = re.compile(r'<td data-label="乡镇">([^<]+)</td><td data-label="村数"')
TOWNSHIPS = 6  # of the demo district


@pytest.fixture(autouse=True)
def short_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.supervise.routes.DASHBOARD_ROWS", 2)
    monkeypatch.setattr("web.common.LIST_PER_PAGE", 4)


def _weak_section(page: str) -> str:
    return page[page.index('id="weak"') :]


def _townships(session: Session) -> dict[str, str]:
    rows = session.execute(select(Unit.name, Unit.code).where(Unit.kind == UnitKind.TOWNSHIP.value))
    return dict(rows.tuples().all())


def test_the_page_shows_the_first_rows_and_links_to_the_whole_table(as_user: Client) -> None:
    office = as_user("ldxz_ban")
    page = office.get("/supervise/").get_data(as_text=True)
    weak = _weak_section(page)
    assert len(TOWNSHIP_ROW.findall(weak)) == 2
    assert f"查看全部 {TOWNSHIPS} 个乡镇" in weak and "/supervise/list/weak" in weak
    coverage = page[page.index('id="coverage"') : page.index('id="orders"')]
    assert coverage.count("data-township=") == 2 and "/supervise/list/coverage" in coverage


def test_the_whole_table_pages_through_every_township_in_the_dashboards_order(
    as_user: Client, db_session: Session
) -> None:
    office = as_user("ldxz_ban")
    dashboard = TOWNSHIP_ROW.findall(
        _weak_section(office.get("/supervise/").get_data(as_text=True))
    )
    first = office.get("/supervise/list/weak").get_data(as_text=True)
    second = office.get("/supervise/list/weak?page=2").get_data(as_text=True)
    names = TOWNSHIP_ROW.findall(first) + TOWNSHIP_ROW.findall(second)
    assert sorted(names) == sorted(_townships(db_session)) and names[:2] == dashboard
    assert f"共 {TOWNSHIPS} 个乡镇；本页第 1–4 个乡镇" in first and "第 1 / 2 页" in first
    assert "下一页" not in second and "上一页" in second


def test_a_search_finds_a_township_by_name_or_code(as_user: Client) -> None:
    office = as_user("ldxz_ban")
    by_name = office.get("/supervise/list/coverage?q=青山").get_data(as_text=True)
    assert 'data-township="QSZ"' in by_name and by_name.count("data-township=") == 1
    by_code = office.get("/supervise/list/coverage?q=QSZ").get_data(as_text=True)
    assert 'data-township="QSZ"' in by_code and by_code.count("data-township=") == 1
    # A code in any case, on the lists of units as on those of townships.
    lower = office.get("/supervise/list/weak?q=qsz").get_data(as_text=True)
    assert TOWNSHIP_ROW.findall(lower) == ["青山镇"]
    none = office.get("/supervise/list/weak?q=不存在的乡镇").get_data(as_text=True)
    assert "共 0 个乡镇" in none and 'value="不存在的乡镇"' in none  # the search is kept
    long = office.get("/supervise/list/weak?q=" + "镇" * 500)
    assert long.status_code == 200


def test_every_table_has_its_whole_page_and_nothing_else_does(as_user: Client) -> None:
    office = as_user("ldxz_ban")
    for view, title in (
        ("overdue_units", "逾期事项"),
        ("unfiled", "月报逾期未报"),
        ("coverage", "自查走访全覆盖"),
        ("weak", "零报送"),
    ):
        answer = office.get(f"/supervise/list/{view}")
        assert answer.status_code == 200 and title in answer.get_data(as_text=True)
    assert office.get("/supervise/list/users").status_code == 404
    assert office.get("/supervise/list/weak?page=abc").status_code == 400


def test_a_township_cannot_open_the_whole_tables(as_user: Client) -> None:
    assert as_user("qsz_jbr").get("/supervise/list/weak").status_code == 404


def test_a_check_assigned_from_the_whole_table_returns_to_its_page(
    as_user: Client, db_session: Session
) -> None:
    office = as_user("ldxz_ban")
    listed = "/supervise/list/weak?q=%E9%9D%92%E5%B1%B1"  # 青山
    page = office.get(listed).get_data(as_text=True)
    assert f'<input type="hidden" name="back" value="{listed}">' in page
    assert 'value="JCZB1"' in page  # the teams a check may go to
    token = csrf_token(office, listed)
    form = {"csrf_token": token, "township": "QSZ", "team": "JCZB1", "reason": "零报送"}
    answer = office.post("/supervise/key-checks", data={**form, "back": listed})
    assert answer.status_code == 302 and answer.headers["Location"] == listed
    assert "已安排" in office.get(listed).get_data(as_text=True)
    assert db_session.scalars(select(KeyCheck)).one().township.code == "QSZ"


def test_a_forged_return_address_goes_to_the_supervision_page(as_user: Client) -> None:
    office = as_user("ldxz_ban")
    token = csrf_token(office, "/supervise/")
    form = {"csrf_token": token, "township": "BSZ", "team": "JCZB1", "reason": "零报送"}
    forgeries = ("https://evil.example/supervise/list/weak", "//evil.example/x", "/admin/")
    for number, forged in enumerate(forgeries):
        answer = office.post("/supervise/key-checks", data={**form, "back": forged})
        if number == 0:
            assert answer.headers["Location"] == "/supervise/#weak", forged
            continue
        # Refused (the township has its check now): 督办 again, never the forged page.
        page = answer.get_data(as_text=True)
        assert answer.status_code == 409 and "Location" not in answer.headers, forged
        assert 'id="weak"' in page and "未安排：" in page and "已安排重点检查" in page


def _row(page: str, township_name: str) -> str:
    start = page.index(f'<td data-label="乡镇">{township_name}</td>')
    return page[start : page.find("</tr>", start)]


def test_a_refused_check_keeps_its_team_and_date_beside_its_row_of_the_whole_table(
    as_user: Client, db_session: Session
) -> None:
    office = as_user("ldxz_ban")
    listed = "/supervise/list/weak?q=%E9%9D%92%E5%B1%B1"  # 青山
    token = csrf_token(office, listed)
    form = {"csrf_token": token, "township": "QSZ", "team": "JCZB2", "reason": "零报送"}
    answer = office.post(
        "/supervise/key-checks", data={**form, "due_on": "2022-01-03", "back": listed}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert f'<input type="hidden" name="back" value="{listed}">' in page  # the same list
    row = _row(page, "青山镇")
    assert "未安排：完成期限：不能早于今天" in row and 'id="error-summary"' in row
    assert '<option value="JCZB2" selected>' in row and 'value="2022-01-03"' in row
    assert page.count('id="error-summary"') == 1
    assert db_session.scalars(select(KeyCheck)).all() == []
    corrected = office.post(
        "/supervise/key-checks", data={**form, "due_on": "2022-07-01", "back": listed}
    )
    assert corrected.status_code == 302 and corrected.headers["Location"] == listed
    check = db_session.scalars(select(KeyCheck)).one()
    assert (check.team.code, str(check.due_on)) == ("JCZB2", "2022-07-01")


def test_a_refused_check_from_the_dashboard_is_shown_on_the_dashboard(as_user: Client) -> None:
    office = as_user("ldxz_ban")
    page = office.get("/supervise/").get_data(as_text=True)
    first = TOWNSHIP_ROW.findall(_weak_section(page))[0]
    code = _townships_by_name(page, first)
    token = csrf_token(office, "/supervise/")
    answer = office.post(
        "/supervise/key-checks",
        data={"csrf_token": token, "township": code, "team": "JCZB2", "due_on": "2022-13-01"},
    )
    assert answer.status_code == 422
    row = _row(_weak_section(answer.get_data(as_text=True)), first)
    assert "完成期限：没有这一天：2022 年 13 月 1 日" in row and 'value="2022-13-01"' in row
    # The last day a form takes is 2100-12-31: a check is never due after it.
    for day, status in (("9999-12-31", 422), ("2100-12-31", 302)):
        answer = office.post(
            "/supervise/key-checks",
            data={"csrf_token": token, "township": code, "team": "JCZB2", "due_on": day},
        )
        assert answer.status_code == status, day
        if status == 422:
            assert "须在 1900-01-01 至 2100-12-31 之间" in answer.get_data(as_text=True)


def test_a_refusal_whose_row_has_no_form_is_shown_above_the_table(as_user: Client) -> None:
    office = as_user("ldxz_ban")
    token = csrf_token(office, "/supervise/")
    answer = office.post(
        "/supervise/key-checks", data={"csrf_token": token, "township": "NOPE", "team": "JCZB1"}
    )
    weak = _weak_section(answer.get_data(as_text=True))
    assert answer.status_code == 404
    assert weak.index('id="error-summary"') < weak.index("<table")
    assert weak.count('id="error-summary"') == 1


def _townships_by_name(page: str, name: str) -> str:
    """The code a township's 安排检查 form sends, read from its row."""
    row = _row(_weak_section(page), name)
    return re.search(r'name="township" value="([^"]+)"', row).group(1)  # type: ignore[union-attr]
