"""The ledger page reads what its rows show (unit, village, programme, category) for the whole
page at once: its statements do not grow with its rows (a page of the province's ledger ran
53, 42 of them one row's names at a time), and the unit filter's list is read as codes and
names."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from campaign.workflow_host import CampaignHost
from core.db import Database
from tests.campaign.conftest import registered, registration
from tests.web.test_completion_statements import counted

Client = Callable[[str], FlaskClient]
pytestmark = pytest.mark.usefixtures("june_2022")

# Villages of 青山镇 with a programme, a category and the focus item they belong to.
ROWS = [
    ("QSZ02", "P01", "S07", "1.2"),
    ("QSZ03", "P03", "S12", "3.4"),  # cards held: counted in cards, not money
    ("QSZ04", "P09", "S06", "1.3"),
    ("QSZ05", "P12", "S08", "1.2"),
]


def _ledger(client: FlaskClient, database: Database) -> tuple[str, int]:
    with counted(database) as statements:
        answer = client.get("/ledger")
    assert answer.status_code == 200
    return answer.get_data(as_text=True), len(statements)


def test_the_ledger_page_reads_its_rows_names_for_the_whole_page(
    db_session: Session, bound_database: Database, as_user: Client
) -> None:
    host = CampaignHost()
    first = registered(db_session, host, registration())
    db_session.commit()
    client = as_user("ldxz_ban")
    _ledger(client, bound_database)  # the first request reads what later ones have kept
    page, one_row = _ledger(client, bound_database)
    assert first.number in page and "青山镇" in page

    later = []
    for village, programme, category, focus in ROWS:
        cards = "5" if focus == "3.4" else "0"
        data = registration(
            village=village, programme=programme, stat_category=category, focus_item=focus
        )
        later.append(registered(db_session, host, {**data, "cards": cards}))
    db_session.commit()
    page, five_rows = _ledger(client, bound_database)

    assert five_rows == one_row, f"{one_row} statements for one row, {five_rows} for five"
    for problem in [first, *later]:
        db_session.refresh(problem)
        assert problem.number in page
        assert problem.village is not None and problem.village.name in page
        assert problem.programme.name in page and problem.stat_category.name in page
    # The unit filter lists every unit that keeps a ledger, by name, with its code.
    assert '<option value="QSZ"' in page and '<option value="BSZ"' in page
