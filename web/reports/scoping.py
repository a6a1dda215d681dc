"""A report's scope from a request's query string (?unit=&from=&to=); which scopes a person
may ask for is campaign.reports.scope_for's rule."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from campaign import reports
from campaign.models import User
from campaign.reports import ReportScope
from core.days import NotADay, read_day
from core.errors import InvalidInput


def _day(name: str, text: str) -> date | None:
    try:
        return read_day(text) if text else None
    except NotADay as refused:
        raise InvalidInput(str(refused), {name: str(refused)}) from None


def scope_from(
    session: Session, user: User, args: Any, *, campaign: int | str | None
) -> ReportScope:
    """campaign: the one chosen (the page's selector, the API's ?campaign=)."""
    return reports.scope_for(
        session,
        user,
        campaign=campaign,
        unit_code=args.get("unit", ""),
        date_from=_day("from", args.get("from", "")),
        date_to=_day("to", args.get("to", "")),
    )
