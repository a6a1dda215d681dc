"""乡镇 and 村（社区） administered in the product: added, renamed and deactivated by the system
administrator from the page, `ykt place` or an Excel sheet (campaign.reference_import).

A unit's code appears in ledger numbers (2022-QSZ-0001), so it never changes and a unit is
never deleted: a deactivated township or village leaves the lists new work chooses from
(campaign.choices, the reports owed, the spot-check sample) and stays on everything that
names it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from campaign import audit, org
from campaign.current import campaign_in_progress
from campaign.models import Household, Unit, User
from campaign.models.org import UnitKind
from core import paging
from core.errors import Conflict, InvalidInput, NotFound

PLACE_KINDS = (UnitKind.TOWNSHIP.value, UnitKind.VILLAGE.value)
MAX_NAME = 100


@dataclass(frozen=True)
class PlaceFilters:
    search: str = ""
    township: str = ""  # a township's code: it and its villages
    campaign_id: int | None = None  # whose household lists are counted (None: in progress)


@dataclass(frozen=True)
class PlaceRow:
    unit: Unit
    township: Unit | None  # a village's township
    households: int  # a village's households on its list


def listing(
    session: Session, filters: PlaceFilters, page: int, per_page: int = 50
) -> paging.Page[PlaceRow]:
    """Townships, each followed by its villages; searched by code or name."""
    parent = aliased(Unit)
    township_code = func.coalesce(parent.code, Unit.code)
    query = (
        select(Unit)
        .outerjoin(parent, (parent.id == Unit.parent_id) & (Unit.kind == UnitKind.VILLAGE.value))
        .where(Unit.kind.in_(PLACE_KINDS))
    )
    if filters.search:
        text = filters.search.strip()
        query = query.where(
            or_(
                Unit.code.icontains(text, autoescape=True),
                Unit.name.icontains(text, autoescape=True),
            )
        )
    if filters.township:
        query = query.where(township_code == filters.township.strip().upper())
    query = query.order_by(
        func.coalesce(parent.sort_order, Unit.sort_order),
        township_code,
        Unit.kind != UnitKind.TOWNSHIP.value,
        Unit.sort_order,
        Unit.code,
    )
    found = paging.fetch(session, query, page, per_page)
    ids = [u.id for u in found.items]
    # The households on the lists of the campaign shown; before any campaign, none.
    shown = filters.campaign_id or getattr(campaign_in_progress(session), "id", None)
    counts: dict[int, int] = {
        village_id: number
        for village_id, number in session.execute(
            select(Household.village_id, func.count(Household.id))
            .where(
                Household.campaign_id == shown,
                Household.village_id.in_(ids),
                Household.active.is_(True),
            )
            .group_by(Household.village_id)
        ).all()
    }
    rows = [
        PlaceRow(u, u.parent if u.kind == UnitKind.VILLAGE.value else None, counts.get(u.id, 0))
        for u in found.items
    ]
    return paging.Page(rows, found.total, found.number, found.per_page)


def townships(session: Session) -> list[Unit]:
    return list(
        session.scalars(
            select(Unit)
            .where(Unit.kind == UnitKind.TOWNSHIP.value)
            .order_by(Unit.sort_order, Unit.code)
        )
    )


def place_by_code(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code.strip().upper()))
    if unit is None or unit.kind not in PLACE_KINDS:
        raise NotFound(f"乡镇或村代码不存在：{code}")
    return unit


def township_for(session: Session, code: str) -> Unit:
    """The township a village is added under: it must exist, be a township and be active."""
    if not code.strip():
        raise InvalidInput("请填写村所属的乡镇", fields={"township": "不能为空"})
    unit = session.scalar(select(Unit).where(Unit.code == code.strip().upper()))
    if unit is None:
        raise InvalidInput(f"乡镇代码不存在：{code}", fields={"township": "乡镇不存在"})
    if unit.kind != UnitKind.TOWNSHIP.value:
        raise InvalidInput(f"“{unit.name}”不是乡镇", fields={"township": "不是乡镇"})
    if not unit.active:
        raise InvalidInput(f"乡镇“{unit.name}”已停用", fields={"township": "已停用"})
    return unit


def _name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise InvalidInput("请填写名称", fields={"name": "不能为空"})
    if len(name) > MAX_NAME:
        raise InvalidInput(f"名称超过 {MAX_NAME} 个字", fields={"name": "过长"})
    return name


def add_township(
    session: Session, code: str, name: str, *, actor: User | None = None, source: str = ""
) -> Unit:
    district = session.scalar(
        select(Unit).where(Unit.kind == UnitKind.DISTRICT.value).order_by(Unit.id)
    )
    return org.add_unit(
        session,
        code,
        _name(name),
        UnitKind.TOWNSHIP.value,
        district.code if district else None,
        actor=actor,
        source=source,
    )


def add_village(
    session: Session,
    code: str,
    name: str,
    township_code: str,
    *,
    actor: User | None = None,
    source: str = "",
) -> Unit:
    township = township_for(session, township_code)
    return org.add_unit(
        session,
        code,
        _name(name),
        UnitKind.VILLAGE.value,
        township.code,
        actor=actor,
        source=source,
    )


def rename(
    session: Session, code: str, name: str, *, actor: User | None = None, source: str = ""
) -> Unit:
    unit = place_by_code(session, code)
    before, unit.name = unit.name, _name(name)
    session.flush()
    audit.record(
        session,
        "unit.rename",
        actor=actor,
        target=f"unit:{unit.code}",
        source=source,
        before=before,
        after=unit.name,
    )
    return unit


def set_active(
    session: Session, code: str, active: bool, *, actor: User | None = None, source: str = ""
) -> Unit:
    """A township with active villages is not deactivated (its villages would be left under
    a township nobody can choose), nor is a village brought back under an inactive one."""
    unit = place_by_code(session, code)
    if not active and unit.kind == UnitKind.TOWNSHIP.value:
        still = [c.name for c in unit.children if c.active]
        if still:
            raise Conflict(
                f"乡镇“{unit.name}”还有 {len(still)} 个启用的村（{'、'.join(still[:5])}），"
                "请先停用这些村"
            )
    if active and unit.parent is not None and not unit.parent.active:
        raise Conflict(f"所属乡镇“{unit.parent.name}”已停用，请先启用乡镇")
    unit.active = active
    session.flush()
    audit.record(
        session,
        "unit.activate" if active else "unit.deactivate",
        actor=actor,
        target=f"unit:{unit.code}",
        source=source,
    )
    return unit
