"""The self-inspection's visits to villages (自查走访), one record per village and day, and
the coverage they give: which villages of each township were never visited (全覆盖).

The monthly report carries the month's totals (visited households and persons); these
records say where, so that "which villages were never visited" has an answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from campaign import audit
from campaign.current import active_campaign, shown_id
from campaign.models import Campaign, Unit, User, VillageVisit
from campaign.models.accounts import UNIT_ROLES
from campaign.models.org import UnitKind
from campaign.org import unit_by_code
from core.errors import InvalidInput, NotFound
from engine.host import CaseContext, EngineHost

FORM = "village_visit"


def townships_of(session: Session, user: User) -> list[Unit]:
    """The townships whose visits the person records (their officers and reviewers)."""
    units = {r.unit_id for r in user.roles if r.role in UNIT_ROLES}
    return list(
        session.scalars(
            select(Unit)
            .where(Unit.id.in_(units), Unit.kind == UnitKind.TOWNSHIP.value)
            .order_by(Unit.code)
        )
    )


def township_for(session: Session, user: User, code: str = "") -> Unit:
    mine = townships_of(session, user)
    if not mine:
        # As for any record outside the person's units: nothing to see here (404).
        raise NotFound("只有乡镇的经办人、负责人可以登记自查走访")
    if not code:
        return mine[0]
    for township in mine:
        if township.code == code:
            return township
    raise NotFound("乡镇不存在或不是您所在的乡镇")


def record(
    session: Session, host: EngineHost, user: User, township_code: str, data: Mapping[str, Any]
) -> VillageVisit:
    township = township_for(session, user, township_code)
    context = CaseContext(owning_unit_id=township.id, subject_type="village_visit")
    clean = host.clean_submission(session, FORM, data, context)
    try:
        village = unit_by_code(session, clean["village"])
    except NotFound as unknown:  # pragma: no cover - the form offers the township's only
        raise InvalidInput(fields={"village": str(unknown)}) from None
    visit = VillageVisit(
        campaign_id=active_campaign(session).id,
        township_id=township.id,
        village_id=village.id,
        visited_on=date.fromisoformat(clean["visited_on"]),
        households=clean["households"],
        persons=clean.get("persons") or 0,
        note=clean.get("note") or "",
        recorded_by=user.id,
    )
    session.add(visit)
    session.flush()
    audit.record(
        session, "village_visit.record", actor=user, target=f"unit:{village.code}", visit=visit.id
    )
    return visit


def visits_of(
    session: Session, township: Unit, *, campaign_id: int | None = None
) -> Select[tuple[VillageVisit]]:
    """A township's visits in the campaign, the latest first, with their villages (a page
    at a time)."""
    shown = shown_id(session, campaign_id)
    return (
        select(VillageVisit)
        .where(VillageVisit.township_id == township.id, VillageVisit.campaign_id == shown)
        .order_by(VillageVisit.visited_on.desc(), VillageVisit.id.desc())
        .options(selectinload(VillageVisit.village))
    )


@dataclass
class Coverage:
    township: Unit
    villages: int = 0
    visited: int = 0
    # The names of the villages never visited, in the units' order.
    never_visited: list[str] = field(default_factory=list)

    @property
    def never_visited_names(self) -> str:
        """As the pages list them: one string (a province's page lists 25,000 villages)."""
        return "、".join(self.never_visited)


def coverage(
    session: Session, campaign: Campaign | None = None, township: Unit | None = None
) -> list[Coverage]:
    """Every township (or the one given) with its villages visited and those never visited
    in the campaign, the townships with the most villages never visited first. Villages are
    read as names, not as units: a province has 25,000 of them on the 督办 page."""
    campaign = campaign or active_campaign(session)
    visits = select(VillageVisit.village_id).where(VillageVisit.campaign_id == campaign.id)
    townships_query = select(Unit).where(
        Unit.kind == UnitKind.TOWNSHIP.value, Unit.active.is_(True)
    )
    villages_query = (
        select(Unit.id, Unit.name, Unit.parent_id)
        .where(Unit.kind == UnitKind.VILLAGE.value, Unit.active.is_(True))
        .order_by(Unit.sort_order, Unit.code)
    )
    if township is not None:
        townships_query = townships_query.where(Unit.id == township.id)
        villages_query = villages_query.where(Unit.parent_id == township.id)
        visits = visits.where(VillageVisit.township_id == township.id)
    visited = set(session.scalars(visits))
    townships = {t.id: Coverage(t) for t in session.scalars(townships_query)}
    for village_id, name, parent_id in session.execute(villages_query):
        found = townships.get(parent_id or 0)
        if found is None:
            continue
        found.villages += 1
        if village_id in visited:
            found.visited += 1
        else:
            found.never_visited.append(name)
    return sorted(townships.values(), key=lambda c: (-len(c.never_visited), c.township.code))
