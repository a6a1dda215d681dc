"""Each campaign's own lists: the household lists (copied when the next campaign starts, the
ended campaign's kept as its samples saw them) and the 疑点 of 数据比对 (a look-back campaign
over the same months compares its own rolls and raises its own 疑点)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.comparison_data import PLANTED_KINDS, generate, id_number
from campaign import campaigns, households
from campaign.comparison import rolls, verification
from campaign.comparison.protection import KeyFile
from campaign.comparison.run import list_discrepancies, run_comparison
from campaign.current import active_campaign
from campaign.models import Campaign, Discrepancy, Household, RollRow
from campaign.workflow_host import CampaignHost
from core.errors import Conflict
from tests.campaign.conftest import drawn_sample
from tests.comparison.conftest import load, village_names

ID_1, ID_2 = (id_number(n, date(1960 + n, 1, 2)) for n in (41, 42))


@pytest.fixture
def key_file(tmp_path: Path) -> KeyFile:
    return KeyFile(tmp_path / "keys" / "comparison.json")


def typed(code: str, id_no: str, head: str = "王某某") -> households.HouseholdInput:
    return households.HouseholdInput(code, head, id_no, "6217000012345678", "", "3")


def start_2023(session: Session) -> tuple[Campaign, Campaign]:
    year_2022 = active_campaign(session)
    made = campaigns.create_from(session, year_2022, code="2023-HTK", year=2023, name="")
    return year_2022, campaigns.start(session, made)


def codes(session: Session, village: str, campaign: Campaign) -> dict[str, str]:
    place = households.village_by_code(session, village)
    page = households.listing(session, place, "", 1, 500, campaign_id=campaign.id)
    return {h.code: h.head_name for h in page.items if h.active}


def test_the_next_campaign_starts_from_a_copy_and_the_ended_list_stays(
    db_session: Session, key_file: KeyFile
) -> None:
    households.add_household(db_session, key_file, "QSZ01", typed("QSZ01-101", ID_1))
    households.set_active(
        db_session,
        key_file,
        "QSZ01",
        sorted(codes(db_session, "QSZ01", active_campaign(db_session)))[0],
        False,
    )
    year_2022 = active_campaign(db_session)
    before = codes(db_session, "QSZ01", year_2022)
    listed_2022 = db_session.scalar(
        select(func.count()).where(Household.campaign_id == year_2022.id)
    )

    _, year_2023 = start_2023(db_session)

    # 2023 has the households on the list when it started (the one taken off is not carried),
    # numbers and all; 2022's list is as it was.
    assert codes(db_session, "QSZ01", year_2023) == before
    copy = households.household_of(
        db_session, households.village_by_code(db_session, "QSZ01"), "QSZ01-101"
    )
    assert copy.campaign_id == year_2023.id and copy.id_last4 == ID_1[-4:]
    # Changes go to 2023's list only.
    households.edit_household(
        db_session, key_file, "QSZ01", "QSZ01-101", typed("QSZ01-101", "", head="李某某")
    )
    households.add_household(db_session, key_file, "QSZ01", typed("QSZ01-102", ID_2))
    households.set_active(db_session, key_file, "QSZ01", "QSZ01-101", False)
    assert codes(db_session, "QSZ01", year_2022) == before
    assert codes(db_session, "QSZ01", year_2023)["QSZ01-102"] == "王某某"
    assert "QSZ01-101" not in codes(db_session, "QSZ01", year_2023)
    assert (
        db_session.scalar(select(func.count()).where(Household.campaign_id == year_2022.id))
        == listed_2022
    )
    # The same person may head a household in each campaign's list, not twice in one.
    with pytest.raises(Conflict, match="身份证号已登记"):
        households.add_household(db_session, key_file, "QSZ02", typed("QSZ02-909", ID_2))
    # 2023's sample is drawn from 2023's list.
    drawn = drawn_sample(db_session, year_2023, 11)
    assert drawn
    owners = db_session.scalars(
        select(Household.campaign_id).where(Household.id.in_([s.household_id for s in drawn]))
    ).all()
    assert set(owners) == {year_2023.id}


def test_a_look_back_campaign_compares_its_own_rolls_and_raises_its_own(
    db_session: Session, key_file: KeyFile
) -> None:
    """2023 imports the rolls of the months 2022 already compared: its run finds exactly the
    planted anomalies of its own rows (not none because 2022 raised them, and no group of
    2022's and 2023's rows together)."""
    data = generate(13, 30, village_names(db_session))
    load(db_session, key_file, data)
    year_2022 = active_campaign(db_session)
    first = run_comparison(db_session, actor_name="tests")
    assert first.total == len(data.planted)

    _, year_2023 = start_2023(db_session)
    # The look-back's rolls: the same people, every card changed (a person with a card in
    # each campaign is not 一人多卡).
    for roll, programme in data.programmes.items():
        changed = data.roll_csv(roll).decode("utf-8-sig").replace("62170", "62180")
        rolls.import_roll(
            db_session,
            key_file,
            io.BytesIO(changed.encode("utf-8-sig")),
            programme_code=programme,
            period="2022-06",
            file_name=f"{roll}-2023.csv",
            actor_name="tests",
        )
    again = run_comparison(db_session, actor_name="tests")
    assert again.total == len(data.planted)
    assert run_comparison(db_session, actor_name="tests").total == 0
    rows_2023 = set(
        db_session.scalars(
            select(RollRow.id).where(RollRow.programme_id.in_([p.id for p in year_2023.programmes]))
        )
    )
    for found in db_session.scalars(
        select(Discrepancy).where(Discrepancy.campaign_id == year_2023.id)
    ):
        assert {int(i) for i in found.row_ids.split(",")} <= rows_2023
    # 核实 cases start for 2023's 疑点 only: 2022's stay as 2022 left them (read-only).
    before_2022 = db_session.execute(
        select(Discrepancy.id, Discrepancy.status, Discrepancy.case_id).where(
            Discrepancy.campaign_id == year_2022.id
        )
    ).all()
    started = verification.start_cases(db_session, CampaignHost(), actor_name="tests")
    assert started == len(data.planted)
    after_2022 = db_session.execute(
        select(Discrepancy.id, Discrepancy.status, Discrepancy.case_id).where(
            Discrepancy.campaign_id == year_2022.id
        )
    ).all()
    assert after_2022 == before_2022 and all(case is None for _, _, case in after_2022)
    # Each campaign lists its own.
    listed_2022 = list_discrepancies(db_session, key_file, campaign_id=year_2022.id, per_page=500)
    listed_2023 = list_discrepancies(db_session, key_file, per_page=500)
    assert listed_2022.total == listed_2023.total == len(data.planted)
    assert not {d.id for d in listed_2022.items} & {d.id for d in listed_2023.items}
    assert {d.rule for d in listed_2023.items} == set(PLANTED_KINDS)
