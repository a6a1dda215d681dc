"""Loading reference data. Rows are matched by stable code and only added when missing:
running `ykt init` again destroys nothing and keeps what administrators changed since."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import reference_data as ref
from campaign.models import (
    Campaign,
    CampaignPhase,
    FocusItem,
    Programme,
    ReportingDeadline,
    StatCategory,
    Unit,
)


def load_reference_data(session: Session) -> Campaign:
    add_missing_units(session, ref.UNITS)
    load_categories(session)
    campaign = ensure_campaign(session)
    add_missing_programmes(
        session,
        campaign,
        [(f"P{n:02d}", name, "central") for n, name in enumerate(ref.PROGRAMMES, start=1)],
    )
    session.flush()
    return campaign


def add_missing_units(
    session: Session,
    rows: list[tuple[str, str, str, str | None]],
) -> dict[str, Unit]:
    existing = {u.code: u for u in session.scalars(select(Unit))}
    for order, (code, name, kind, parent_code) in enumerate(rows):
        if code in existing:
            continue
        unit = Unit(code=code, name=name, kind=kind, sort_order=order)
        unit.parent = existing[parent_code] if parent_code else None
        session.add(unit)
        existing[code] = unit
    session.flush()
    return existing


def load_categories(session: Session) -> None:
    focus = {f.code: f for f in session.scalars(select(FocusItem))}
    for group_no, group_name, items in ref.FOCUS_GROUPS:
        for item_no, name in enumerate(items, start=1):
            code = f"{group_no}.{item_no}"
            item = focus.get(code) or FocusItem(code=code)
            item.group_no, item.group_name, item.item_no, item.name = (
                group_no,
                group_name,
                item_no,
                name,
            )
            session.add(item)
    stats = {s.code: s for s in session.scalars(select(StatCategory))}
    for order, (code, name, measure) in enumerate(ref.STAT_CATEGORIES, start=1):
        stat = stats.get(code) or StatCategory(code=code)
        stat.name, stat.measure, stat.sort_order = name, measure, order
        session.add(stat)


def ensure_campaign(session: Session) -> Campaign:
    data = ref.CAMPAIGN
    campaign = session.scalar(select(Campaign).where(Campaign.code == data["code"]))
    if campaign is None:
        campaign = Campaign(**data)
        session.add(campaign)
        session.flush()
    seqs = {p.seq for p in campaign.phases}
    for seq, name, starts, ends in ref.PHASES:
        if seq not in seqs:
            campaign.phases.append(
                CampaignPhase(seq=seq, name=name, starts_on=starts, ends_on=ends)
            )
    codes = {d.code for d in campaign.deadlines}
    for code, name, recurrence, day, due, owed_by, recipient in ref.DEADLINES:
        if code not in codes:
            campaign.deadlines.append(
                ReportingDeadline(
                    code=code,
                    name=name,
                    recurrence=recurrence,
                    day_of_month=day,
                    due_on=due,
                    owed_by=owed_by,
                    recipient_code=recipient,
                )
            )
    return campaign


def add_missing_programmes(
    session: Session, campaign: Campaign, rows: list[tuple[str, str, str]]
) -> None:
    """Rows are (code, name, level); central ones sort first, then city, then county."""
    level_base = {"central": 0, "city": 1000, "county": 2000}
    codes = {p.code for p in campaign.programmes}
    for position, (code, name, level) in enumerate(rows, start=1):
        if code not in codes:
            campaign.programmes.append(
                Programme(
                    code=code, name=name, level=level, sort_order=level_base[level] + position
                )
            )
    session.flush()
