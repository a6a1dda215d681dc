"""Migration 0035 on a database that holds data: 疑点 take the campaign of their first row's
roll; on the way back the household lists become one again (samples that named an ended
campaign's copy name the current one), and on the way up again that list is the campaign in
progress's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bench.comparison_data import generate, id_number
from campaign import campaigns, households
from campaign.comparison.protection import KeyFile
from campaign.comparison.run import run_comparison
from campaign.current import active_campaign
from campaign.models import Household
from core import schema
from tests.campaign.conftest import drawn_sample
from tests.comparison.conftest import import_rolls, load, village_names
from tests.databases import fresh_demo_database


def test_lists_by_campaign_go_down_and_up_with_their_data(tmp_path: Path) -> None:
    key_file = KeyFile(tmp_path / "keys" / "comparison.json")
    with fresh_demo_database(tmp_path) as db:
        with db.transaction() as session:
            data = generate(5, 20, village_names(session))
            load(session, key_file, data)
            raised = run_comparison(session, actor_name="tests").total
            year_2022 = active_campaign(session)
            # A sample of 2022 drawn from 2022's list, whose copies go on the way back.
            drawn_2022 = len(drawn_sample(session, year_2022, 2))
            made = campaigns.create_from(session, year_2022, code="2023-HTK", year=2023, name="")
            campaigns.start(session, made)
            per_list = session.scalar(select(func.count()).where(Household.campaign_id == made.id))
            # A sample of 2023 drawn from 2023's copies.
            drawn = len(drawn_sample(session, made, 3))
            ids = (year_2022.id, made.id)
        assert raised and per_list and drawn and drawn_2022

        schema.downgrade(db, "0034")
        with db.engine.connect() as conn:
            households = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
            dangling = conn.execute(
                text(
                    "SELECT count(*) FROM spot_check_sample s LEFT JOIN household h "
                    "ON h.id = s.household_id WHERE h.id IS NULL"
                )
            ).scalar_one()
            samples = conn.execute(text("SELECT count(*) FROM spot_check_sample")).scalar_one()
        assert households == per_list and dangling == 0 and samples == drawn + drawn_2022

        schema.upgrade(db)
        with db.engine.connect() as conn:
            owners = (
                conn.execute(text("SELECT DISTINCT campaign_id FROM household")).scalars().all()
            )
            found = conn.execute(
                text(
                    "SELECT count(*) FROM discrepancy d JOIN roll_row r "
                    "ON r.id = d.first_row_id JOIN payment_roll p ON p.id = r.roll_id "
                    "WHERE d.campaign_id = p.campaign_id AND d.campaign_id = :first"
                ),
                {"first": ids[0]},
            ).scalar_one()
        assert owners == [ids[1]] and found == raised


def test_the_way_back_keeps_one_household_per_code_and_refuses_shared_findings(
    tmp_path: Path,
) -> None:
    """Three campaigns, a household taken off 2023's list (so not in 2024's) and another code
    given anew in 2024: the way back keeps one row per village and code, every sample still
    names one. A look-back's 疑点 sharing their keys with 2022's cannot go back: refused, said
    why, nothing changed."""
    key_file = KeyFile(tmp_path / "keys" / "comparison.json")
    with fresh_demo_database(tmp_path) as db:
        with db.transaction() as session:
            for year in (2022, 2023, 2024):
                campaign = active_campaign(session)
                if year > 2022:
                    made = campaigns.create_from(
                        session, campaign, code=f"{year}-HTK", year=year, name=""
                    )
                    campaign = campaigns.start(session, made)
                drawn_sample(session, campaign, year)
                if year == 2023:
                    households.set_active(session, key_file, "QSZ01", "QSZ01-001", False)
                    households.set_active(session, key_file, "QSZ01", "QSZ01-002", False)
                if year == 2024:
                    households.add_household(
                        session,
                        key_file,
                        "QSZ01",
                        households.HouseholdInput(
                            "QSZ01-002", "新户主", id_number(7, date(1980, 1, 1)),
                            "6217000099998888", "", "2",
                        ),
                    )  # fmt: skip
        schema.downgrade(db, "0034")
        with db.engine.connect() as conn:
            per_code = conn.execute(
                text(
                    "SELECT village_id, code, count(*) FROM household "
                    "GROUP BY village_id, code HAVING count(*) > 1"
                )
            ).all()
            dangling = conn.execute(
                text(
                    "SELECT count(*) FROM spot_check_sample s LEFT JOIN household h "
                    "ON h.id = s.household_id WHERE h.id IS NULL"
                )
            ).scalar_one()
            heads: dict[str, str] = {
                code: head
                for code, head in conn.execute(
                    text("SELECT code, head_name FROM household WHERE code LIKE 'QSZ01-00%'")
                )
            }
        assert per_code == [] and dangling == 0
        assert heads["QSZ01-002"] == "新户主" and "QSZ01-001" in heads
        schema.upgrade(db)

        with db.transaction() as session:
            data = generate(5, 10, village_names(session))
            load(session, key_file, data)
            run_comparison(session, actor_name="tests")
            campaign = active_campaign(session)
            made = campaigns.create_from(session, campaign, code="2025-HTK", year=2025, name="")
            campaigns.start(session, made)
            # The same rolls again in 2025: the same keys, raised again for 2025.
            import_rolls(session, key_file, data, file_suffix="-again")
            assert run_comparison(session, actor_name="tests").total == len(data.planted)
        with pytest.raises(RuntimeError, match="不能降级"):
            schema.downgrade(db, "0034")
        assert schema.current_revision(db) == schema.head_revision()
