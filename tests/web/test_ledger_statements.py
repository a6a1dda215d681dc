"""The ledger page and the API's list of problems read what their rows show (unit, village,
programme, category; the API also the focus item and the responsible unit) for the whole page
at once: their statements do not grow with their rows (a page of the province's ledger ran
53, 42 of them one row's names at a time), and the unit filter's list is read as codes and
names."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import accounts, problems
from campaign.models import Problem, User
from campaign.org import unit_by_code
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


def _register_more(session: Session, host: CampaignHost) -> list[Problem]:
    """Four more entries of 青山镇 in four villages, and one of 白沙镇 registered by the office;
    two of them with a responsible unit (each a unit of its own: read a page at a time too)."""
    later = []
    for village, programme, category, focus in ROWS:
        cards = "5" if focus == "3.4" else "0"
        data = registration(
            village=village, programme=programme, stat_category=category, focus_item=focus
        )
        later.append(registered(session, host, {**data, "cards": cards}))
    office = session.scalars(select(User).where(User.username == "ldxz_ban")).one()
    later.append(problems.register(session, host, office, "BSZ", registration(village="BSZ01")))
    for problem, responsible in zip(later, ("QSZ", "BSZ"), strict=False):
        problem.responsible_unit_id = unit_by_code(session, responsible).id
    session.commit()
    return later


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

    later = _register_more(db_session, host)
    page, five_rows = _ledger(client, bound_database)

    assert five_rows == one_row, f"{one_row} statements for one row, {five_rows} for six"
    assert "白沙镇" in page
    for problem in [first, *later]:
        db_session.refresh(problem)
        assert problem.number in page
        assert problem.village is not None and problem.village.name in page
        assert problem.programme.name in page and problem.stat_category.name in page
    # The unit filter lists every unit that keeps a ledger, by name, with its code.
    assert '<option value="QSZ"' in page and '<option value="BSZ"' in page


def test_the_api_list_reads_its_rows_names_for_the_whole_page(
    db_session: Session, bound_database: Database, client: FlaskClient
) -> None:
    host = CampaignHost()
    first = registered(db_session, host, registration())
    first.responsible_unit_id = unit_by_code(db_session, "QSZ").id  # each list reads them
    db_session.commit()
    office = db_session.scalars(select(User).where(User.username == "ldxz_ban")).one()
    headers = {"Authorization": f"Bearer {accounts.issue_token(db_session, office)}"}
    db_session.commit()

    def listed() -> tuple[list[dict[str, object]], int]:
        with counted(bound_database) as statements:
            answer = client.get("/api/v1/problems", headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        return answer.get_json()["items"], len(statements)

    listed()
    _items, one_row = listed()
    _register_more(db_session, host)
    items, five_rows = listed()

    assert five_rows == one_row, f"{one_row} statements for one row, {five_rows} for six"
    assert len(items) == 6
    assert {i["village"] for i in items} == {"QSZ01", "BSZ01", *(row[0] for row in ROWS)}
    assert {i["focus_item"] for i in items} == {"3.3", *(row[3] for row in ROWS)}
    assert {i["unit"] for i in items} == {"QSZ", "BSZ"}
    responsible = [str(i["responsible_unit"]) for i in items if i["responsible_unit"]]
    assert sorted(responsible) == ["BSZ", "QSZ", "QSZ"]
    assert all(i["programme"] and i["stat_category"] for i in items)
