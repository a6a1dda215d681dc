"""Small helpers every blueprint uses: who is acting, the data folder, 404 for the unseen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import Select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from campaign.models import User
from campaign.workflow_host import CampaignHost
from core import paging
from core.days import NotADay, read_day
from core.errors import InvalidInput

T = TypeVar("T")
HOST = CampaignHost()
# Rows a page of a working list shows (overdue items, reports from the public, visits...).
LIST_PER_PAGE = 50


def me() -> User:
    user: User = current_user._get_current_object()
    return user


def data_dir() -> Path:
    return Path(current_app.config["YKT_SETTINGS"].data_dir)


def found(value: T | None) -> T:
    if value is None:
        abort(404)
    return value


def page_arg() -> int:
    """The page a list was asked for (?page=), refused when it is not a page number."""
    return paging.page_number(request.args.get("page"))


# The button beside a choice that depends on another field, for a browser that does not run
# choice-depends.js: it shows the form again with the choices for what is chosen, saving nothing.
REFRESH_CHOICES = "refresh_choices"


def refreshing_choices() -> bool:
    """Whether the form was sent to list a dependent field's choices, not to be saved."""
    return bool(request.form.get(REFRESH_CHOICES))


def working_page(
    session: Session,
    query: Select[Any],
    argument: str = "page",
    *,
    number: int | None = None,
    load: Sequence[ORMOption] = (),
) -> paging.Page[Any]:
    """The page of a working list asked for (?page=, or another argument for a second list
    on one page; or `number`, for a page shown again after a refused form): LIST_PER_PAGE
    rows, counted up to a bound (core.paging); `load`, what the page's rows show of others."""
    if number is None:
        number = paging.page_number(request.args.get(argument))
    return paging.fetch(session, query, number, LIST_PER_PAGE, capped=True, load=load)


def working_list_page(rows: Sequence[T], number: int | None = None) -> paging.Page[T]:
    """Page `number` (by default the one asked for) of a list made in full, LIST_PER_PAGE
    rows."""
    return paging.of_list(rows, page_arg() if number is None else number, LIST_PER_PAGE)


def parse_date(value: str, message: str) -> date:
    """A date typed into a form (as core.days reads it); refused with the message otherwise."""
    try:
        return read_day(value)
    except NotADay:
        raise InvalidInput(message) from None


def form_values(form: Any, definition: Any) -> dict[str, Any]:
    """A submitted HTML form as the dict a form definition validates."""
    values: dict[str, Any] = {}
    for spec in definition.fields:
        if spec.type in ("multichoice", "files"):
            values[spec.name] = form.getlist(spec.name)
        else:
            values[spec.name] = form.get(spec.name)
    return values
