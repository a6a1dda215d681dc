"""报送管理: every report owed, by obligation, unit and period, with where it stands.

A report is in one of four states, read from its record and the date:

| state | meaning |
|---|---|
| 未报 (unfiled) | not filed yet, the due date not passed |
| 逾期 (overdue) | not filed and the due date passed |
| 已报 (filed) | filed by the unit (its head approved it); the office may still return it |
| 退回 (returned) | returned by the office with a reason; stays so until the unit files again |

The leading group office sees every unit; an officer or reviewer sees the reports of their
own units; nobody else sees any."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session

from campaign import audit, report_checks
from campaign.current import shown_id
from campaign.models import Obligation, ReportingDeadline, Unit, User
from campaign.models.accounts import UNIT_ROLES
from campaign.visibility import sees_whole_district
from core import clock, paging
from core.errors import InvalidInput
from core.paging import Page
from forms.tables.report_overview import OverviewLine, write_overview

PER_PAGE = 50
EXPORT_LIMIT = 20_000
STATES = {"unfiled": "未报", "overdue": "逾期", "filed": "已报", "returned": "退回"}
STATE_TAGS = {"unfiled": "", "overdue": "tag-red", "filed": "tag-green", "returned": "tag-amber"}


def state_of(obligation: Obligation, today: date | None = None) -> str:
    if obligation.status == "returned":
        return "returned"
    if obligation.status == "submitted":
        return "filed"
    today = today or clock.local_now().date()
    return "overdue" if obligation.due_on < today else "unfiled"


def state_clause(state: str, today: date) -> ColumnElement[bool]:
    """The same four states as a WHERE clause (filters and counts run in the database)."""
    if state == "returned":
        return Obligation.status == "returned"
    if state == "filed":
        return Obligation.status == "submitted"
    if state == "overdue":
        return and_(Obligation.status == "open", Obligation.due_on < today)
    return and_(Obligation.status == "open", Obligation.due_on >= today)


def visible(user: User) -> ColumnElement[bool]:
    """The reports a person may see in the overview and open."""
    if sees_whole_district(user):
        return true()
    units = {r.unit_id for r in user.roles if r.role in UNIT_ROLES}
    return Obligation.unit_id.in_(units) if units else false()


@dataclass(frozen=True)
class OverviewFilters:
    obligation: str = ""  # a deadline code: monthly_report, spot_check, ...
    period: str = ""
    state: str = ""
    unit: str = ""  # a unit code
    q: str = ""  # part of a unit's name or code
    campaign_id: int | None = None  # the campaign shown (not a query argument)

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> OverviewFilters:
        def text(name: str) -> str:
            return str(args.get(name) or "").strip()[:100]

        filters = cls(text("obligation"), text("period"), text("state"), text("unit"), text("q"))
        if filters.state and filters.state not in STATES:
            raise InvalidInput(
                f"报送状态须为{'、'.join(STATES.values())}之一",
                {"state": "无此报送状态"},
            )
        return filters

    def args(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v and k != "campaign_id"}


@dataclass(frozen=True)
class OverviewRow:
    obligation: Obligation
    report_name: str
    state: str
    warnings: list[str]

    @property
    def state_label(self) -> str:
        return STATES[self.state]

    @property
    def state_tag(self) -> str:
        return STATE_TAGS[self.state]

    @property
    def filed_late(self) -> bool:
        filed = self.obligation.submitted_at
        return (
            filed is not None and filed.astimezone(clock.LOCAL_TZ).date() > self.obligation.due_on
        )

    @property
    def filed_at(self) -> datetime | None:
        return self.obligation.submitted_at if self.state != "unfiled" else None


def query(
    session: Session, user: User, filters: OverviewFilters, today: date
) -> Select[tuple[Obligation]]:
    statement = (
        select(Obligation)
        .join(Unit, Unit.id == Obligation.unit_id)
        .where(Obligation.campaign_id == shown_id(session, filters.campaign_id), visible(user))
    )
    if filters.obligation:
        statement = statement.where(Obligation.deadline_code == filters.obligation)
    if filters.period:
        statement = statement.where(Obligation.period == filters.period)
    if filters.state:
        statement = statement.where(state_clause(filters.state, today))
    if filters.unit:
        statement = statement.where(Unit.code == filters.unit)
    if filters.q:
        statement = statement.where(
            or_(
                Unit.name.icontains(filters.q, autoescape=True),
                Unit.code.icontains(filters.q, autoescape=True),
            )
        )
    return statement.order_by(
        Obligation.due_on.desc(), Obligation.deadline_code, Unit.sort_order, Unit.code
    )


def page(
    session: Session, user: User, filters: OverviewFilters, number: int, per_page: int = PER_PAGE
) -> Page[OverviewRow]:
    today = clock.local_now().date()
    found = paging.fetch(session, query(session, user, filters, today), number, per_page)
    return Page(rows(session, found.items, today), found.total, found.number, found.per_page)


def all_rows(session: Session, user: User, filters: OverviewFilters) -> list[OverviewRow]:
    """Every row the filters select (the export), up to a limit no district reaches."""
    today = clock.local_now().date()
    found = session.scalars(query(session, user, filters, today).limit(EXPORT_LIMIT))
    return rows(session, list(found), today)


def rows(session: Session, reports: list[Obligation], today: date) -> list[OverviewRow]:
    names = report_names(session)
    warned = report_checks.warnings_of(session, reports)
    return [
        OverviewRow(
            o,
            names.get((o.campaign_id, o.deadline_code), o.deadline_code),
            state_of(o, today),
            warned.get(o.id, []),
        )
        for o in reports
    ]


def counts(session: Session, user: User, filters: OverviewFilters) -> dict[str, int]:
    """How many of the filtered reports are in each state (the state filter aside)."""
    today = clock.local_now().date()
    unfiltered = replace(filters, state="")
    base = query(session, user, unfiltered, today)
    return {
        state: paging.count(session, base.where(state_clause(state, today))) for state in STATES
    }


def report_names(session: Session) -> dict[tuple[int, str], str]:
    return {
        (d.campaign_id, d.code): d.name
        for d in session.scalars(select(ReportingDeadline).order_by(ReportingDeadline.id))
    }


def choices(
    session: Session, user: User, campaign_id: int | None = None
) -> dict[str, list[tuple[str, str]]]:
    """What the filters offer: the obligations, periods and units the person can see in the
    campaign shown (None: the one in progress)."""
    shown = shown_id(session, campaign_id)
    names: dict[str, str] = {}
    for deadline in session.scalars(
        select(ReportingDeadline)
        .where(ReportingDeadline.campaign_id == shown)
        .order_by(ReportingDeadline.id)
    ):
        names.setdefault(deadline.code, deadline.name)
    of_campaign = Obligation.campaign_id == shown
    periods = session.scalars(
        select(Obligation.period)
        .where(of_campaign, visible(user))
        .distinct()
        .order_by(Obligation.period)
    )
    units = session.execute(
        select(Unit.code, Unit.name)
        .where(Unit.id.in_(select(Obligation.unit_id).where(of_campaign, visible(user))))
        .order_by(Unit.sort_order, Unit.code)
    )
    return {
        "obligations": list(names.items()),
        "periods": [(p, p) for p in periods],
        "units": [(code, name) for code, name in units],
        "states": list(STATES.items()),
    }


def export(
    session: Session, user: User, filters: OverviewFilters, target: str | Path | BinaryIO
) -> int:
    """The overview as the filters select it, as an .xlsx workbook; returns the rows written.
    The download is recorded in the audit log like the tables'."""
    lines = (
        OverviewLine(
            report_name=row.report_name,
            period=row.obligation.period,
            unit_name=row.obligation.unit.name,
            due_on=row.obligation.due_on,
            state=row.state_label,
            filed_at=(
                row.filed_at.astimezone(clock.LOCAL_TZ).replace(tzinfo=None)
                if row.filed_at is not None
                else None
            ),
            return_reason=row.obligation.return_reason if row.state == "returned" else "",
            warnings=row.warnings,
        )
        for row in all_rows(session, user, filters)
    )
    written = write_overview(lines, target)
    audit.record(
        session,
        "data.export",
        actor=user,
        target="report_overview",
        rows=written,
        **filters.args(),
    )
    return written
