"""A long choice list (a province's townships) comes with a search box (js/choice-filter.js,
tests/browser/test_choice_filter.py): the page marks it; a short one stays a plain list. A
township found by the box is sent as any chosen one is."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import TipOff, Unit
from campaign.models.org import UnitKind
from tests.web.test_tip_off_pages import send

TOWNSHIP_SELECT = re.compile(r'<select id="f-township"[^>]*>')


def _township_select(client: FlaskClient) -> str:
    found = TOWNSHIP_SELECT.search(client.get("/public/report").get_data(as_text=True))
    assert found, "no township choice on the page"
    return found.group(0)


def _add_townships(session: Session, count: int) -> None:
    district = session.scalars(select(Unit).where(Unit.code == "QSZ")).one().parent_id
    session.add_all(
        Unit(
            code=f"T{n:03d}",
            name=f"示例第{n}镇",
            kind=UnitKind.TOWNSHIP.value,
            parent_id=district,
            sort_order=100 + n,
        )
        for n in range(count)
    )
    session.flush()


def test_a_short_list_stays_a_plain_choice(client: FlaskClient) -> None:
    assert "data-filter" not in _township_select(client)


def test_a_long_list_is_marked_for_its_search_box(client: FlaskClient, db_session: Session) -> None:
    _add_townships(db_session, 40)
    assert 'data-filter="乡镇"' in _township_select(client)
    page = client.get("/public/report").get_data(as_text=True)
    assert "js/choice-filter.js" in page
    assert page.count('<option value="T0') == 40


def test_a_township_of_the_long_list_is_taken(client: FlaskClient, db_session: Session) -> None:
    _add_townships(db_session, 40)
    status, _page = send(client, township="T031", village="")
    assert status == 200
    sent = db_session.scalars(select(TipOff).order_by(TipOff.id.desc())).first()
    assert (
        sent is not None
        and sent.township_id == db_session.scalars(select(Unit.id).where(Unit.code == "T031")).one()
    )


def test_the_offices_unit_filters_are_marked_when_long(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    office = as_user("ldxz_ban")
    short = office.get("/ledger").get_data(as_text=True)
    assert re.search(r'<select name="unit" id="filter-unit" aria-label="单位">', short)
    _add_townships(db_session, 40)
    ledger = office.get("/ledger").get_data(as_text=True)
    assert re.search(r'<select name="unit" id="filter-unit"[^>]*data-filter="单位"', ledger)
    reports = office.get("/reports/").get_data(as_text=True)
    assert re.search(r'<select name="unit" id="report-unit"[^>]*data-filter="单位"', reports)
