"""A ledger filtered by a village outside the unit chosen (the office changed the unit and
kept the village chosen) says so: the village select shows the village its rows are
filtered by, not 全部村（社区） above an empty list."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.web.test_ledger_filters import _listed, _selected, _three

pytestmark = pytest.mark.usefixtures("june_2022")


def test_a_village_of_another_unit_is_shown_chosen(
    db_session: Session, as_user: Callable[[str], FlaskClient]
) -> None:
    numbers = _three(db_session)
    office = as_user("ldxz_ban")
    listed, page = _listed(office, "unit=BSZ&village=QSZ02")
    assert numbers["village"] not in listed  # the rows are filtered by both
    assert _selected(page, "village") == "QSZ02"
    villages = [o.get("value") for o in page.xpath('.//select[@name="village"]/option')]
    assert "BSZ01" in villages  # the unit's own villages are still offered
