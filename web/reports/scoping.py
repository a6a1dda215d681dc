"""Which report scopes a person may ask for: the leading group office any unit; a unit's own
reviewers and officers their unit (and what lies below it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import org, reports
from campaign.errors import CampaignError
from campaign.models import Unit, User
from campaign.reports import ReportScope


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def allowed_units(session: Session, user: User) -> list[Unit]:
    if user.has_role("supervisor"):
        return [
            u
            for u in org.all_units(session)
            if u.kind in ("district", "township", "department", "bureau")
        ]
    own = {r.unit_id for r in user.roles if r.role in ("officer", "reviewer")}
    return list(session.scalars(select(Unit).where(Unit.id.in_(own)).order_by(Unit.code)))


def scope_from(session: Session, user: User, args: Any) -> ReportScope:
    units = allowed_units(session, user)
    if not units:
        abort(404)
    code = args.get("unit") or units[0].code
    if code not in {u.code for u in units}:
        abort(404)
    try:
        return reports.report_scope(
            session,
            unit_code=code,
            date_from=_day(args.get("from", "")),
            date_to=_day(args.get("to", "")),
        )
    except CampaignError:
        abort(404)
