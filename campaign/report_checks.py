"""What a unit filed, checked against the records (报送核对).

The spot-check report (重点抽查情况报告) gives two figures the records can confirm:

- 实际抽查户数 must be at least 5 households for every village of the township (the
  notice's "每村不低于5户"; a village whose list holds fewer is checked whole, so its own
  list is the floor there);
- 抽查发现问题数 must equal the ledger entries the township registered with the source
  重点抽查 (`spot_check`) in the report's campaign, voided entries left out (an entry found
  untrue was no finding).

A disagreement is a warning on the filed report's page and in the overview, never a refusal:
the office decides whether to return the report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign.models import Household, Obligation, Problem, Unit
from campaign.models.org import UnitKind
from campaign.obligations import SAMPLE_PER_VILLAGE

SPOT_CHECK = "spot_check"
SPOT_CHECK_SOURCE = "spot_check"


def warnings(session: Session, obligation: Obligation, *, unfiled: bool = False) -> list[str]:
    """`unfiled`: also a report not filed yet (its figures as the officer sent them for the
    unit head's review), for the head to read what the office will read."""
    return warnings_of(session, [obligation], unfiled=unfiled).get(obligation.id, [])


def warnings_of(
    session: Session, reports: Iterable[Obligation], *, unfiled: bool = False
) -> dict[int, list[str]]:
    """The warnings of each filed report (by obligation id), a few queries for all of them."""
    checked = [
        o
        for o in reports
        if o.deadline_code == SPOT_CHECK
        and (unfiled or o.status != "open")
        and o.households_checked is not None
    ]
    if not checked:
        return {}
    townships = {o.unit_id for o in checked}
    floor = _sample_floor(session, townships, {o.campaign_id for o in checked})
    found = _spot_check_entries(session, checked)
    result: dict[int, list[str]] = {}
    for report in checked:
        notes = []
        villages, least = floor.get((report.campaign_id, report.unit_id), (0, 0))
        if (report.households_checked or 0) < least:
            notes.append(
                f"实际抽查户数 {report.households_checked} 户，少于本镇 {villages} 个村"
                f"每村不低于{SAMPLE_PER_VILLAGE}户应抽查的 {least} 户"
            )
        entries = found.get((report.campaign_id, report.unit_id), 0)
        if report.problems_found is not None and report.problems_found != entries:
            notes.append(
                f"抽查发现问题数填报 {report.problems_found} 个，问题台账中本单位来源为"
                f"“重点抽查”的问题 {entries} 条，两者不一致"
            )
        if notes:
            result[report.id] = notes
    return result


def _sample_floor(
    session: Session, townships: set[int], campaigns: set[int]
) -> dict[tuple[int, int], tuple[int, int]]:
    """Per campaign and township: its villages and the households a sample must reach (5 per
    village, or the whole of the campaign's list of a smaller village)."""
    village_rows = session.execute(
        select(Unit.id, Unit.parent_id).where(
            Unit.parent_id.in_(townships),
            Unit.kind == UnitKind.VILLAGE.value,
            Unit.active.is_(True),
        )
    ).all()
    listed: dict[tuple[int, int], int] = {
        (campaign_id, village_id): n
        for campaign_id, village_id, n in session.execute(
            select(Household.campaign_id, Household.village_id, func.count())
            .where(
                Household.campaign_id.in_(campaigns),
                Household.village_id.in_([v.id for v in village_rows]),
                Household.active.is_(True),
            )
            .group_by(Household.campaign_id, Household.village_id)
        )
    }
    floor: dict[tuple[int, int], tuple[int, int]] = defaultdict(lambda: (0, 0))
    for campaign_id in campaigns:
        for village_id, township_id in village_rows:
            villages, least = floor[(campaign_id, township_id)]
            # A village without a household list yet still owes five.
            households = listed.get((campaign_id, village_id))
            needed = (
                SAMPLE_PER_VILLAGE if households is None else min(SAMPLE_PER_VILLAGE, households)
            )
            floor[(campaign_id, township_id)] = (villages + 1, least + needed)
    return dict(floor)


def _spot_check_entries(session: Session, reports: list[Obligation]) -> dict[tuple[int, int], int]:
    rows = session.execute(
        select(Problem.campaign_id, Problem.unit_id, func.count())
        .where(
            Problem.unit_id.in_({o.unit_id for o in reports}),
            Problem.campaign_id.in_({o.campaign_id for o in reports}),
            Problem.source == SPOT_CHECK_SOURCE,
            Problem.voided_at.is_(None),
        )
        .group_by(Problem.campaign_id, Problem.unit_id)
    ).all()
    return {(campaign_id, unit_id): n for campaign_id, unit_id, n in rows}
