"""The campaign in progress, the campaign a person chose to look at, and the rule that an
ended campaign's records are read-only.

Lists, the ledger, the tables and the figures take a campaign (the one chosen: the web keeps
it in the login's session, the CLI takes --campaign) instead of reading the one in progress,
so an ended campaign stays readable as it was. Writing services call `ensure_open` once with
the campaign of the record they change: an ended campaign's records refuse changes, whoever
asks and by whatever way (a page, the API, the CLI)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.orm import Session

from campaign.models import Campaign
from core.errors import NotAllowed, NotFound
from core.numbers import row_id


def campaign_in_progress(session: Session) -> Campaign | None:
    """The campaign in progress, None before `ykt init` made one."""
    return session.scalars(
        select(Campaign).where(Campaign.active.is_(True)).order_by(Campaign.year.desc())
    ).first()


def active_campaign(session: Session) -> Campaign:
    campaign = campaign_in_progress(session)
    if campaign is None:
        raise NotFound("没有进行中的专项治理活动，请先运行 ykt init")
    return campaign


def chosen_campaign(session: Session, key: int | str | Campaign | None = None) -> Campaign:
    """The campaign asked for: a campaign, its id or its code; none, the one in progress."""
    if isinstance(key, Campaign):
        return key
    if key is None or key == "":
        return active_campaign(session)
    if isinstance(key, int) or key.strip().isdecimal():
        campaign_id = key if isinstance(key, int) else row_id(key)
        found = session.get(Campaign, campaign_id) if campaign_id else None
    else:
        found = session.scalar(select(Campaign).where(Campaign.code == key.strip().upper()))
    if found is None:
        raise NotFound(f"专项治理活动不存在：{key}")
    return found


def shown_id(session: Session, campaign_id: int | None) -> int:
    """The campaign a list or a figure is of: the one asked for, else the one in progress."""
    return campaign_id or active_campaign(session).id


def started_campaigns(session: Session) -> list[Campaign]:
    """The campaigns one may look at: the one in progress and those it followed (ended),
    newest first. A campaign prepared but not started has no records yet."""
    current = active_campaign(session)
    return list(
        session.scalars(
            select(Campaign).where(Campaign.year <= current.year).order_by(Campaign.year.desc())
        )
    )


def has_ended(session: Session, campaign: Campaign) -> bool:
    """Ended: a later campaign was started after it (campaigns start only forward)."""
    if campaign.active:
        return False
    return campaign.year < active_campaign(session).year


def ended_where(which: ColumnElement[bool]) -> Select[tuple[Campaign]]:
    """The campaign `which` picks, if it has ended: a later one is in progress. Build it once
    where it runs often (it runs before every change): building costs more than running."""
    later = select(Campaign.year).where(Campaign.active.is_(True)).scalar_subquery()
    return select(Campaign).where(which, Campaign.active.is_(False), Campaign.year < later)


_ENDED_BY_ID = ended_where(Campaign.id == bindparam("campaign_id"))


def ensure_open(session: Session, campaign_id: int) -> None:
    """Refuse a change to a record of an ended campaign: it stays as it was when it ended."""
    refuse_ended(session, _ENDED_BY_ID, {"campaign_id": campaign_id})


def refuse_ended(
    session: Session, ended: Select[tuple[Campaign]], params: Mapping[str, Any] | None = None
) -> None:
    """Refuse a change when `ended` (an ended_where statement) finds a campaign."""
    campaign = session.scalars(ended, params or {}).first()
    if campaign is not None:
        raise NotAllowed(f"“{campaign.name}”（{campaign.year} 年度）已结束，其记录只读，不能再修改")
