"""Recurring obligations: which unit owes which report for which period, started as cases
when they fall due to be written, idempotently (the scheduler runs this every tick)."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from campaign.current import shown_id
from campaign.models import (
    Campaign,
    Household,
    Notification,
    Obligation,
    ReportingDeadline,
    SpotCheckSample,
    Unit,
    User,
)
from campaign.models.org import UnitKind
from campaign.spot_checks import figures as spot_check_figures
from core import clock
from engine import cases
from engine.host import SYSTEM, CaseContext, EngineHost
from engine.models import WorkItem

PROCESS_FOR = {
    "monthly_report": "monthly_report",
    "spot_check": "spot_check",
    "stage_summary": "summary_report",
    "annual_summary": "summary_report",
}
# Diagrams that more than one report runs (named by the report, not the diagram: records).
SHARED_PROCESSES = frozenset(
    p for p in PROCESS_FOR.values() if list(PROCESS_FOR.values()).count(p) > 1
)
SAMPLE_PER_VILLAGE = 5
FIGURES = (
    "visited_persons",
    "visited_households",
    "cards_found",
    "banks_involved",
    "cards_illegal",
)
# Reports the unit still owes: never filed, or returned by the office and not filed again.
OWED = ("open", "returned")


@dataclass(frozen=True)
class Period:
    key: str
    opens_on: date
    due_on: date


def periods(deadline: ReportingDeadline, campaign: Campaign) -> Iterator[Period]:
    """Every period of a deadline within the campaign: each month, or the one date."""
    if deadline.recurrence == "monthly":
        year, month = campaign.starts_on.year, campaign.starts_on.month
        while (year, month) <= (campaign.ends_on.year, campaign.ends_on.month):
            opens = max(date(year, month, 1), campaign.starts_on)
            yield Period(
                f"{year}-{month:02d}", opens, date(year, month, deadline.day_of_month or 23)
            )
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    elif deadline.due_on is not None:
        yield Period(str(deadline.due_on.year), campaign.starts_on, deadline.due_on)


def owing_units(session: Session, deadline: ReportingDeadline) -> list[Unit]:
    return list(
        session.scalars(
            select(Unit)
            .where(Unit.kind.in_(deadline.owed_by_kinds), Unit.active.is_(True))
            .order_by(Unit.code)
        )
    )


def start_due(session: Session, host: EngineHost, *, today: date | None = None) -> list[Obligation]:
    """Start a case for every report that is open for writing today and not started yet."""
    today = today or clock.local_now().date()
    started: list[Obligation] = []
    for campaign in session.scalars(select(Campaign).where(Campaign.active.is_(True))):
        for deadline in campaign.deadlines:
            units = owing_units(session, deadline)
            for period in periods(deadline, campaign):
                if period.opens_on > today:
                    break
                have = set(
                    session.scalars(
                        select(Obligation.unit_id).where(
                            Obligation.campaign_id == campaign.id,
                            Obligation.deadline_code == deadline.code,
                            Obligation.period == period.key,
                        )
                    )
                )
                for unit in units:
                    if unit.id not in have:
                        started.append(_start(session, host, campaign, deadline, period, unit))
    return started


def _start(
    session: Session,
    host: EngineHost,
    campaign: Campaign,
    deadline: ReportingDeadline,
    period: Period,
    unit: Unit,
) -> Obligation:
    obligation = Obligation(
        campaign_id=campaign.id,
        deadline_code=deadline.code,
        period=period.key,
        unit_id=unit.id,
        due_on=period.due_on,
    )
    session.add(obligation)
    session.flush()
    if deadline.code == "spot_check":
        draw_sample(session, obligation, secrets.randbelow(2**31))
    case = cases.start_case(
        session,
        host,
        PROCESS_FOR[deadline.code],
        data={
            "obligation_id": obligation.id,
            "report_name": deadline.name,
            "period": period.key,
            "due_on": period.due_on.isoformat(),
        },
        context=CaseContext(
            owning_unit_id=unit.id, subject_type="obligation", subject_id=obligation.id
        ),
        actor=SYSTEM,
    )
    obligation.case_id = case.id
    return obligation


def draw_sample(session: Session, obligation: Obligation, seed: int) -> list[SpotCheckSample]:
    """At least 5 households per village of the township (all when a village has fewer),
    drawn reproducibly: the same seed and household list always give the same sample."""
    obligation.sample_seed = seed
    samples = []
    villages = session.scalars(
        select(Unit)
        .where(
            Unit.parent_id == obligation.unit_id,
            Unit.kind == UnitKind.VILLAGE.value,
            Unit.active.is_(True),
        )
        .order_by(Unit.code)
    )
    for village in villages:
        households = list(
            session.scalars(
                select(Household)
                .where(
                    Household.campaign_id == obligation.campaign_id,
                    Household.village_id == village.id,
                    Household.active.is_(True),
                )
                .order_by(Household.code)
            )
        )
        rng = random.Random(f"{seed}:{village.code}")  # noqa: S311 (a sample, not a secret)
        for household in rng.sample(households, min(SAMPLE_PER_VILLAGE, len(households))):
            sample = SpotCheckSample(
                obligation_id=obligation.id, village_id=village.id, household_id=household.id
            )
            session.add(sample)
            samples.append(sample)
    session.flush()
    return samples


def apply(
    session: Session, obligation: Obligation, form_key: str, data: Mapping[str, Any], user: User
) -> None:
    if form_key in ("monthly_report", "spot_check_report", "summary_report"):
        obligation.content = data.get("content", "")
        for name in FIGURES:
            if name in data:
                setattr(obligation, name, data[name])
        if form_key == "spot_check_report":
            # Counted from the households' results, never typed (campaign.spot_checks).
            checked, found = spot_check_figures(session, obligation)
            obligation.households_checked, obligation.problems_found = checked, found
    elif form_key == "review_report" and data.get("report_decision") == "approve":
        # Filed (again, after a return): 已报 from now on, until the office returns it.
        obligation.status = "submitted"
        obligation.submitted_at = clock.now()
        obligation.submitted_by = user.id
        obligation.accepted_at = obligation.accepted_by = None
    elif form_key == "office_review_report":
        if data.get("office_decision") == "accept":
            obligation.accepted_at, obligation.accepted_by = clock.now(), user.id
        elif data.get("office_decision") == "return":
            obligation.status = "returned"
            obligation.returned_at, obligation.returned_by = clock.now(), user.id
            obligation.return_reason = str(data.get("return_reason", "")).strip()
            obligation.times_returned += 1


def unfiled(
    session: Session,
    deadline_code: str,
    *,
    today: date | None = None,
    campaign_id: int | None = None,
) -> list[Obligation]:
    """Reports past their due date and not submitted (or returned and not filed again):
    who has not filed by the 23rd, in the campaign shown."""
    today = today or clock.local_now().date()
    return list(
        session.scalars(
            select(Obligation)
            .where(
                Obligation.campaign_id == shown_id(session, campaign_id),
                Obligation.deadline_code == deadline_code,
                Obligation.status.in_(OWED),
                Obligation.due_on < today,
            )
            .order_by(Obligation.due_on, Obligation.unit_id)
            .options(selectinload(Obligation.unit))  # every unit's name is listed
        )
    )


@dataclass(frozen=True)
class Filing:
    """How a report was filed across units, up to today: `owed` reports are past their due
    date, `late` of them filed (and not returned) after it, `unfiled` not filed at all."""

    owed: int
    late: int
    unfiled: int

    @property
    def all_on_time(self) -> bool:
        return self.owed > 0 and self.late == 0 and self.unfiled == 0


def filing(
    session: Session,
    deadline_code: str,
    *,
    today: date | None = None,
    campaign_id: int | None = None,
) -> Filing:
    """Whether the units filed a report on time, in the campaign shown: none owed yet is
    not 按时报送 (the 督办 page said so before any monthly report was due)."""
    today = today or clock.local_now().date()
    owed = late = unfiled = 0
    for status, due_on, submitted_at in session.execute(
        select(Obligation.status, Obligation.due_on, Obligation.submitted_at).where(
            Obligation.campaign_id == shown_id(session, campaign_id),
            Obligation.deadline_code == deadline_code,
            Obligation.due_on < today,
        )
    ):
        owed += 1
        if status in OWED or submitted_at is None:
            unfiled += 1
        elif submitted_at.astimezone(clock.LOCAL_TZ).date() > due_on:
            late += 1
    return Filing(owed, late, unfiled)


def awaiting_notice(session: Session, limit: int = 500) -> list[Obligation]:
    """Open reports whose filling task nobody has been told about yet."""
    noticed = select(Notification.work_item_id).where(Notification.work_item_id.is_not(None))
    return list(
        session.scalars(
            select(Obligation)
            .join(WorkItem, WorkItem.case_id == Obligation.case_id)
            .where(
                Obligation.status == "open", WorkItem.state == "open", WorkItem.id.not_in(noticed)
            )
            .distinct()
            .limit(limit)
        )
    )
