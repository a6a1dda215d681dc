"""户类型: on the village household lists (page service, Excel import, refusals by field and
by row), in the standards (the same words), and the rule R10 that compares them; `ykt init`
adds R10 to a database that has the nine without touching them."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bench.comparison_data import HOUSEHOLD_HEADER, generate, id_number, to_csv
from campaign import households, reference_import
from campaign.comparison import rules
from campaign.comparison.household_types import standard_types
from campaign.comparison.protection import KeyFile
from campaign.comparison.references import import_list
from campaign.comparison.run import run_comparison
from campaign.comparison.sheets import ListRefused
from campaign.current import active_campaign
from campaign.models import (
    ComparisonRule,
    ComparisonRuleVersion,
    EligibilityStandard,
    Household,
    Programme,
)
from core.errors import InvalidInput
from tests.comparison.conftest import load, village_names

ID_1, ID_2 = id_number(71, date(1970, 1, 2)), id_number(72, date(1971, 3, 4))


def typed(code: str, id_no: str, household_type: str) -> households.HouseholdInput:
    return households.HouseholdInput(
        code, "王某某", id_no, "6217000012345678", "", "3", household_type
    )


def test_a_household_type_outside_the_list_is_refused_on_its_field(
    db_session: Session, key_file: KeyFile
) -> None:
    with pytest.raises(InvalidInput) as refused:
        households.add_household(db_session, key_file, "QSZ01", typed("T-1", ID_1, "贫困户"))
    assert set(refused.value.fields) == {"household_type"}
    assert "低保户" in refused.value.fields["household_type"]
    made = households.add_household(db_session, key_file, "QSZ01", typed("T-1", ID_1, "低保户"))
    assert households.type_shown(made) == "低保户"
    kept = households.edit_household(db_session, key_file, "QSZ01", "T-1", typed("T-1", "", ""))
    assert households.type_shown(kept) == "未登记"


def household_sheet(rows: list[list[str]]) -> io.BytesIO:
    return io.BytesIO(to_csv(HOUSEHOLD_HEADER, rows))


def test_the_household_import_names_each_bad_type_and_stores_nothing(
    db_session: Session, key_file: KeyFile
) -> None:
    before = len(db_session.scalars(select(Household)).all())
    rows = [
        ["青山村", "T-1", "甲", ID_1, "6217000011112222", "特困户"],
        ["青山村", "T-2", "乙", ID_2, "6217000011112223", "五保"],
    ]
    kind = reference_import.HOUSEHOLDS
    campaign = active_campaign(db_session)
    with pytest.raises(ListRefused) as refused:
        reference_import.import_sheet(
            db_session, kind, household_sheet(rows), campaign=campaign, key_file=key_file
        )
    assert [(e.row, e.column) for e in refused.value.errors] == [(3, "户类型")]
    assert len(db_session.scalars(select(Household)).all()) == before
    rows[1][5] = ""
    reference_import.import_sheet(
        db_session, kind, household_sheet(rows), campaign=campaign, key_file=key_file
    )
    stored = {h.code: h.household_type for h in db_session.scalars(select(Household))}
    assert stored["T-1"] == "特困户" and stored["T-2"] == ""
    assert "户类型" in kind.optional


def test_a_standard_names_household_types_in_the_same_words(
    db_session: Session, key_file: KeyFile
) -> None:
    assert standard_types("特困户，低保户 低保户") == "低保户、特困户"
    header = ["项目", "户类型"]
    body = io.BytesIO(to_csv(header, [["P01", "特困户,低保户"]]))
    import_list(db_session, key_file, "standards", body, actor_name="tests")
    stored = db_session.scalar(
        select(EligibilityStandard.household_type).join(Programme).where(Programme.code == "P01")
    )
    assert stored == "低保户、特困户"
    bad = io.BytesIO(to_csv(header, [["P01", "低保户、贫困户"]]))
    with pytest.raises(ListRefused) as refused:
        import_list(db_session, key_file, "standards", bad, actor_name="tests")
    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "户类型")]
    assert "贫困户" in refused.value.errors[0].reason


def test_r10_skips_households_taken_off_the_list_and_unrestricted_programmes(
    db_session: Session, key_file: KeyFile
) -> None:
    data = generate(11, 15, village_names(db_session), kinds=["R10"])
    load(db_session, key_file, data)
    planted = data.households[-1]  # the R10 person, 一般户
    household = db_session.scalar(select(Household).where(Household.code == planted[1]))
    assert household is not None and household.household_type == "一般户"
    household.active = False
    assert run_comparison(db_session, actor_name="t").raised["R10"] == 0
    household.active = True
    standard = db_session.scalar(
        select(EligibilityStandard).join(Programme).where(Programme.code == "P01")
    )
    assert standard is not None
    standard.household_type = ""
    assert run_comparison(db_session, actor_name="t").raised["R10"] == 0
    standard.household_type = "低保户、特困户"
    assert run_comparison(db_session, actor_name="t").raised["R10"] == 1
    assert run_comparison(db_session, actor_name="t").raised["R10"] == 0  # raised once


def test_init_adds_the_new_rule_and_changes_none_of_the_others(db_session: Session) -> None:
    rules.change(db_session, "R03", params={"max_cards": 3}, actor_name="admin")
    r10 = rules.find(db_session, "R10")
    db_session.execute(delete(ComparisonRuleVersion).where(ComparisonRuleVersion.rule_id == r10.id))
    db_session.execute(delete(ComparisonRule).where(ComparisonRule.id == r10.id))
    db_session.expire_all()
    assert rules.add_missing_rules(db_session) == 1
    assert rules.add_missing_rules(db_session) == 0
    r03 = rules.find(db_session, "R03")
    assert (r03.version, rules.parameters(r03)) == (2, {"max_cards": 3})
    added = rules.find(db_session, "R10")
    assert (added.kind, added.version, added.enabled) == ("household_type_outside", 1, True)
