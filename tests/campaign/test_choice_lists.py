"""The choice lists read from the database (campaign.choices), read as codes and names: the
same lists, in the same order, as the units and categories they come from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from campaign import choices, org
from campaign.models import StatCategory, Unit
from campaign.models.org import UnitKind
from engine.host import CaseContext

NOTHING = CaseContext()


def _villages_by_township(session: Session, township_code: str | None) -> list[tuple[str, str]]:
    """What the list must hold, read the long way: every active village under an active
    township, in the townships' order and then the villages'."""
    townships = {
        u.id: u
        for u in session.scalars(
            select(Unit).where(Unit.kind == UnitKind.TOWNSHIP.value, Unit.active.is_(True))
        )
        if township_code is None or u.code == township_code
    }
    villages = [
        v
        for v in session.scalars(
            select(Unit).where(Unit.kind == UnitKind.VILLAGE.value, Unit.active.is_(True))
        )
        if v.parent_id in townships
    ]
    villages.sort(
        key=lambda v: (
            townships[v.parent_id].sort_order,  # type: ignore[index]
            townships[v.parent_id].code,  # type: ignore[index]
            v.sort_order,
            v.code,
        )
    )
    return [(v.code, f"{townships[v.parent_id].name} · {v.name}") for v in villages]  # type: ignore[index]


def test_villages_with_their_township(db_session: Session) -> None:
    every = choices.options(db_session, "township_villages", NOTHING, {})
    assert every == _villages_by_township(db_session, None)
    assert len({name.split(" · ")[0] for _code, name in every}) >= 2  # several townships
    qsz = choices.options(db_session, "township_villages", NOTHING, {"township": "QSZ"})
    assert qsz == _villages_by_township(db_session, "QSZ") and qsz
    assert all(name.startswith("青山镇 · ") for _code, name in qsz)


def test_an_unknown_or_malformed_township_offers_no_village(db_session: Session) -> None:
    chosen: Any
    for chosen in ("NOPE", ["QSZ"], {"QSZ": 1}, 12):
        assert choices.options(db_session, "township_villages", NOTHING, {"township": chosen}) == []


def test_a_township_whose_code_is_digits_is_chosen_by_its_code_as_text(
    db_session: Session,
) -> None:
    org.add_unit(db_session, "421121101", "数字镇", "township", "LKQ")
    org.add_unit(db_session, "42112110101", "数字村", "village", "421121101")
    db_session.flush()
    as_text = choices.options(db_session, "township_villages", NOTHING, {"township": "421121101"})
    assert as_text == [("42112110101", "数字镇 · 数字村")]
    # the same digits as a number (a JSON client's value) name no township
    number: Any = 421121101
    assert choices.options(db_session, "township_villages", NOTHING, {"township": number}) == []


def test_a_village_under_a_unit_that_is_no_township_is_not_listed(db_session: Session) -> None:
    department = db_session.scalars(select(Unit).where(Unit.kind == "department")).first()
    assert department is not None
    # the service refuses such a village (org.add_unit); a row written around it is not listed
    db_session.add(Unit(code="DEPTV01", name="部门下的村", kind="village", parent_id=department.id))
    db_session.flush()
    listed = {code for code, _ in choices.options(db_session, "township_villages", NOTHING, {})}
    assert "DEPTV01" not in listed and listed


def test_an_inactive_village_or_township_is_no_choice(db_session: Session) -> None:
    town = aliased(Unit)
    code, township_code = db_session.execute(
        select(Unit.code, town.code)
        .join(town, town.id == Unit.parent_id)
        .where(Unit.kind == UnitKind.VILLAGE.value, town.code == "QSZ")
        .limit(1)
    ).one()
    db_session.scalars(select(Unit).where(Unit.code == code)).one().active = False
    db_session.flush()
    listed = choices.options(db_session, "township_villages", NOTHING, {"township": township_code})
    assert code not in {c for c, _ in listed} and listed
    db_session.scalars(select(Unit).where(Unit.code == "QSZ")).one().active = False
    db_session.flush()
    assert choices.options(db_session, "township_villages", NOTHING, {"township": "QSZ"}) == []
    assert "QSZ" not in {c for c, _ in choices.options(db_session, "townships", NOTHING, {})}


def test_lists_of_codes_and_names_follow_their_rows(db_session: Session) -> None:
    categories = list(db_session.scalars(select(StatCategory).order_by(StatCategory.sort_order)))
    assert choices.options(db_session, "stat_categories", NOTHING, {}) == [
        (c.code, c.name) for c in categories
    ]
    townships = list(
        db_session.scalars(
            select(Unit)
            .where(Unit.kind == UnitKind.TOWNSHIP.value, Unit.active.is_(True))
            .order_by(Unit.sort_order, Unit.code)
        )
    )
    assert choices.options(db_session, "townships", NOTHING, {}) == [
        (u.code, u.name) for u in townships
    ]
    assert ("QSZ", "青山镇") in choices.options(db_session, "responsible_units", NOTHING, {})
    focus = choices.options(db_session, "focus_items", NOTHING, {})
    assert focus and all(name.startswith(f"{code} ") for code, name in focus)
