"""The campaign in progress."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import Campaign
from core.errors import NotFound


def active_campaign(session: Session) -> Campaign:
    campaign = session.scalars(
        select(Campaign).where(Campaign.active.is_(True)).order_by(Campaign.year.desc())
    ).first()
    if campaign is None:
        raise NotFound("没有进行中的专项治理活动，请先运行 ykt init")
    return campaign
