"""The units a person may register problems for, as the register form lists them and as each
registration is checked (campaign.problems.registrable_unit_ids: one rule for both): a
unit's officers and reviewers their own unit, an inspection team the townships it was
assigned to check, the office every unit that keeps a ledger. Listing them takes the same
statements however many units there are (a township officer's form on a province ran one
statement a unit: 2,500)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import key_checks, org, problems
from campaign.models import RoleAssignment, Unit
from campaign.workflow_host import CampaignHost
from tests.campaign.conftest import user
from tests.factories import make_user
from tests.test_held_rows import counted


def _codes(units: list[Unit]) -> list[str]:
    return [u.code for u in units]


def _every_ledger_unit(session: Session) -> list[str]:
    kinds = problems.LEDGER_KINDS
    return list(session.scalars(select(Unit.code).where(Unit.kind.in_(kinds)).order_by(Unit.code)))


def test_each_person_is_offered_the_units_they_may_register_for(db_session: Session) -> None:
    host = CampaignHost()
    officer, office = user(db_session, "qsz_jbr"), user(db_session, "ldxz_ban")
    inspector = user(db_session, "zb1_cy")
    assert _codes(problems.registering_units(db_session, officer)) == ["QSZ"]
    assert _codes(problems.registering_units(db_session, office)) == _every_ledger_unit(db_session)
    assert problems.registering_units(db_session, inspector) == []  # no check assigned yet

    key_checks.assign(db_session, host, office, "LHX", "JCZB1")
    assert _codes(problems.registering_units(db_session, inspector)) == ["LHX"]
    for person in (officer, office, inspector):
        offered = set(_codes(problems.registering_units(db_session, person)))
        for unit in db_session.scalars(select(Unit).where(Unit.kind.in_(problems.LEDGER_KINDS))):
            assert problems.may_register(db_session, person, unit) == (unit.code in offered), (
                person.username,
                unit.code,
            )


def test_a_person_of_two_units_is_offered_both(db_session: Session) -> None:
    person = make_user(db_session, "two_units", unit_code="QSZ", role="officer")
    bsz = org.unit_by_code(db_session, "BSZ")
    db_session.add(RoleAssignment(user_id=person.id, unit_id=bsz.id, role="reviewer"))
    db_session.flush()
    db_session.refresh(person)
    assert _codes(problems.registering_units(db_session, person)) == ["BSZ", "QSZ"]


def test_listing_the_units_takes_the_same_statements_however_many_there_are(
    db_session: Session,
) -> None:
    officer, office = user(db_session, "qsz_jbr"), user(db_session, "ldxz_ban")

    def statements(person_name: str) -> int:
        db_session.expire_all()
        person = user(db_session, person_name)
        _ = [r.unit_id for r in person.roles]  # the roles come with the person on a request
        with counted(db_session) as run:
            problems.registering_units(db_session, person)
        return len(run)

    before = {name: statements(name) for name in ("qsz_jbr", "ldxz_ban", "zb1_cy")}
    for n in range(40):
        org.add_unit(db_session, f"XT{n:02d}", f"新增乡镇{n}", "township", "LKQ")
    db_session.flush()
    after = {name: statements(name) for name in ("qsz_jbr", "ldxz_ban", "zb1_cy")}
    assert after == before and max(after.values()) <= 1, (before, after)
    assert _codes(problems.registering_units(db_session, officer)) == ["QSZ"]
    assert "XT39" in _codes(problems.registering_units(db_session, office))
