"""A choice that depends on another field (the village of the township chosen) comes with
the page only once that field has a value, and is fetched for it as the form is filled in:
the portal's 我要举报 sent every village of the district (25,000 in a province, 2 MB)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import choices
from campaign.models import TipOff, Unit
from forms import registry
from tests.web.test_tip_off_pages import REPORT, send

VILLAGE_SELECT = re.compile(r'<select id="f-village".*?</select>', re.S)


def _village_options(page: str) -> list[str]:
    found = VILLAGE_SELECT.search(page)
    assert found, "no village choice on the page"
    return re.findall(r'<option value="([^"]*)"', found.group(0))


def _villages_of(session: Session, township: str) -> list[str]:
    parent = select(Unit.id).where(Unit.code == township).scalar_subquery()
    return sorted(session.scalars(select(Unit.code).where(Unit.parent_id == parent)))


def test_the_form_comes_without_villages_until_a_township_is_chosen(
    client: FlaskClient, db_session: Session
) -> None:
    page = client.get("/public/report").get_data(as_text=True)
    assert _village_options(page) == [""]
    select_tag = VILLAGE_SELECT.search(page)
    assert select_tag and "请先选择乡镇" in select_tag.group(0)
    assert 'data-depends-on="township"' in select_tag.group(0)
    assert 'data-options-url="/public/choices/township_villages"' in select_tag.group(0)
    assert not any(code in page for code in _villages_of(db_session, "QSZ"))


def test_a_refused_report_comes_back_with_its_townships_villages_and_its_choice(
    client: FlaskClient, db_session: Session
) -> None:
    status, page = send(client, account="")
    assert status == 422 and "反映的问题：必填" in page
    offered = _village_options(page)
    assert sorted(offered[1:]) == _villages_of(db_session, "QSZ")
    assert re.search(r'<option value="QSZ01" selected>', page)
    # A village of another township is refused, and the list stays the chosen township's.
    status, page = send(client, village="BSZ01")
    assert status == 422 and "不是可选的值" in page
    assert sorted(_village_options(page)[1:]) == _villages_of(db_session, "QSZ")


def test_the_villages_of_a_township_are_read_without_a_login(
    client: FlaskClient, db_session: Session
) -> None:
    answer = client.get("/public/choices/township_villages?township=QSZ")
    assert answer.status_code == 200 and answer.is_json
    options = answer.get_json()["options"]
    assert sorted(o["value"] for o in options) == _villages_of(db_session, "QSZ")
    assert all(o["label"].startswith("青山镇 · ") for o in options)
    # Without a township, or with one that is not, nothing: never the whole district.
    for asked in ("", "?township=", "?township=%20", "?township=NOPE", "?township=" + "Q" * 500):
        found = client.get("/public/choices/township_villages" + asked)
        assert found.status_code == 200 and found.get_json() == {"options": []}, asked
    for source in ("programmes", "overdue_items", "nope"):
        assert client.get(f"/public/choices/{source}?township=QSZ").status_code == 404


@pytest.mark.parametrize("key", sorted(registry.all_forms()))
def test_every_dependent_field_names_a_source_that_follows_that_field(key: str) -> None:
    form = registry.get(key)
    assert form is not None
    for spec in form.fields:
        if spec.depends_on:
            assert choices.DEPENDENT_SOURCES.get(spec.source) == spec.depends_on, spec.name


def test_the_office_typing_a_phoned_report_gets_the_same_choice(
    as_user: Callable[[str], FlaskClient],
) -> None:
    page = as_user("ldxz_ban").get("/tip-offs/new").get_data(as_text=True)
    assert _village_options(page) == [""] and "请先选择乡镇" in page


def test_without_the_script_the_button_lists_the_villages_and_saves_nothing(
    client: FlaskClient, db_session: Session
) -> None:
    page = client.get("/public/report").get_data(as_text=True)
    assert 'name="refresh_choices"' in page and "列出所选乡镇的村（社区）" in page
    before = db_session.scalar(select(func.count(TipOff.id)))
    status, shown = send(client, village="", refresh_choices="village")
    assert status == 200 and "：必填" not in shown and "未能提交" not in shown
    assert sorted(_village_options(shown)[1:]) == _villages_of(db_session, "QSZ")
    assert REPORT["account"] in shown  # what was typed stays
    assert db_session.scalar(select(func.count(TipOff.id))) == before
    # Then chosen and sent, the report keeps its village.
    status, received = send(client, village="QSZ02")
    assert status == 200 and "举报已提交" in received
    made = db_session.scalars(select(TipOff).order_by(TipOff.id.desc())).first()
    assert made is not None and made.village is not None and made.village.code == "QSZ02"
