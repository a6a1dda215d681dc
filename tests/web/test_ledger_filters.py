"""问题台账 filters by 村（社区）, 补贴项目 and 问题类别 as well as unit and status (the inbox
did; the ledger's query could, but the page offered no way to ask), and its download gives
the rows so filtered."""

from __future__ import annotations

import io
from collections.abc import Callable

import lxml.html
import openpyxl
import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from campaign.workflow_host import CampaignHost
from tests.campaign.conftest import registered, registration

Client = Callable[[str], FlaskClient]

pytestmark = pytest.mark.usefixtures("june_2022")


def _three(session: Session) -> dict[str, str]:
    """Three problems of 青山镇: two programmes, two villages; their numbers by what differs."""
    host = CampaignHost()
    farmland = registered(session, host, registration())
    other_village = registered(session, host, registration(village="QSZ02"))
    other_programme = registered(session, host, registration(programme="P03"))
    session.commit()
    return {
        "farmland": farmland.number,
        "village": other_village.number,
        "programme": other_programme.number,
    }


def _listed(client: FlaskClient, query: str) -> tuple[set[str], lxml.html.HtmlElement]:
    response = client.get(f"/ledger?{query}")
    assert response.status_code == 200
    page = lxml.html.fromstring(response.get_data(as_text=True))
    numbers = {a.text_content().strip() for a in page.xpath('.//td[@data-label="编号"]/a')}
    return numbers, page


def _selected(page: lxml.html.HtmlElement, name: str) -> str | None:
    chosen = page.xpath(f'.//form[@class="filters"]//select[@name="{name}"]/option[@selected]')
    return chosen[0].get("value") if chosen else None


def test_the_officer_filters_by_village_programme_and_category(
    db_session: Session, as_user: Client
) -> None:
    numbers = _three(db_session)
    officer = as_user("qsz_jbr")
    everything, page = _listed(officer, "")
    assert set(numbers.values()) <= everything
    villages = [o.get("value") for o in page.xpath('.//select[@name="village"]/option')]
    assert "QSZ01" in villages and "QSZ02" in villages  # his own township's
    assert page.xpath('.//select[@name="programme"]/option[@value="P11"]')
    assert page.xpath('.//select[@name="category"]/option[@value="S02"]')

    in_village, page = _listed(officer, "village=QSZ02")
    assert in_village == {numbers["village"]} and _selected(page, "village") == "QSZ02"
    of_programme, page = _listed(officer, "programme=P03")
    assert of_programme == {numbers["programme"]} and _selected(page, "programme") == "P03"
    both, _ = _listed(officer, "programme=P11&village=QSZ01&category=S02")
    assert both == {numbers["farmland"]}
    assert _listed(officer, "category=S01")[0] == set()
    assert _listed(officer, "programme=NOPE")[0] == set()  # no such programme, nothing


def test_the_office_chooses_a_unit_before_its_villages(
    db_session: Session, as_user: Client
) -> None:
    numbers = _three(db_session)
    office = as_user("ldxz_ban")
    _, page = _listed(office, "")
    assert not page.xpath('.//select[@name="village"]')  # every village of the district: no
    listed, page = _listed(office, "unit=QSZ")
    assert [o.get("value") for o in page.xpath('.//select[@name="village"]/option')][1:3] == [
        "QSZ01",
        "QSZ02",
    ]
    assert set(numbers.values()) <= listed
    only, page = _listed(office, "village=QSZ02")  # a link naming a village only
    assert only == {numbers["village"]} and _selected(page, "village") == "QSZ02"


def test_a_village_of_another_unit_is_shown_chosen(db_session: Session, as_user: Client) -> None:
    """The office changed the unit and kept the village: the village select shows the
    village its rows are filtered by, not 全部村（社区） above an empty list."""
    numbers = _three(db_session)
    listed, page = _listed(as_user("ldxz_ban"), "unit=BSZ&village=QSZ02")
    assert numbers["village"] not in listed  # the rows are filtered by both
    assert _selected(page, "village") == "QSZ02"
    villages = [o.get("value") for o in page.xpath('.//select[@name="village"]/option')]
    assert "BSZ01" in villages  # the unit's own villages are still offered


def test_the_download_holds_the_rows_the_filters_list(db_session: Session, as_user: Client) -> None:
    numbers = _three(db_session)
    officer = as_user("qsz_jbr")
    _, page = _listed(officer, "programme=P03")
    link = page.xpath('.//a[starts-with(@href, "/ledger/export")]')[0].get("href")
    assert "programme=P03" in link
    sheet = openpyxl.load_workbook(io.BytesIO(officer.get(link).data)).active
    assert sheet is not None
    cells = {str(c.value) for row in sheet.iter_rows() for c in row if c.value}
    assert numbers["programme"] in cells
    assert numbers["farmland"] not in cells and numbers["village"] not in cells
