"""Characters that str.isdigit calls digits but int() refuses ("²", "①") are refused in
words, never a 500; full-width digits typed with a Chinese input method are numbers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.comparison import protection
from campaign.models import Unit
from tests.web_helpers import csrf_token

Client = Callable[[str], FlaskClient]
pytestmark = pytest.mark.usefixtures("june_2022")
NOT_INT = ("²", "①", "1²")


def test_a_population_of_such_digits_is_refused_and_full_width_is_read(
    as_user: Client, db_session: Session
) -> None:
    admin = as_user("admin")
    token = csrf_token(admin, "/admin/units")
    for text in NOT_INT:
        refused = admin.post(
            "/admin/units/QSZ/population", data={"csrf_token": token, "population": text}
        )
        assert refused.status_code == 422, text
        assert "总人口数须为整数" in refused.get_data(as_text=True)
    saved = admin.post(
        "/admin/units/QSZ/population", data={"csrf_token": token, "population": "２３５００"}
    )
    assert saved.status_code == 302
    db_session.expire_all()
    assert db_session.scalars(select(Unit).where(Unit.code == "QSZ")).one().population == 23500


def test_the_offices_forms_refuse_such_ids_in_words(as_user: Client) -> None:
    office = as_user("ldxz_ban")
    token = csrf_token(office, "/supervise/overdue")
    for text in NOT_INT:
        urged = office.post("/supervise/urge", data={"csrf_token": token, "items": text})
        assert urged.status_code == 400 and "未催办：所选事项无效" in urged.get_data(as_text=True)
        visit = office.post("/evaluations/request", data={"csrf_token": token, "problem": text})
        assert visit.status_code == 400, text
        for path in ("/admin/units", "/supervise/list/weak", "/tip-offs", "/ledger"):
            assert office.get(f"{path}?page={text}").status_code in (400, 404), path


@pytest.mark.parametrize("text", NOT_INT)
def test_identity_and_card_numbers_of_such_digits_are_malformed(text: str) -> None:
    assert protection.id_problem(text * 18) == "须为 18 位（末位可为 X）"
    assert protection.id_problem("42070419880101123" + text) is not None
    assert protection.card_problem(text * 16) is not None
