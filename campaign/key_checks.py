"""Choosing townships for district key checks and handing each to an inspection team.

The system proposes the weakest townships: those with the fewest findings per village
against the district median, those that reported nothing at all (零报送), those whose
self-inspection never visited some of their villages (campaign.village_visits), and those with
monthly reports overdue or returned by the office. Beside them it shows the households the
township's filed monthly reports say were visited against the households of its village lists,
and the rating the district team gave its self-inspection."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from statistics import median

from sqlalchemy import Result, func, select
from sqlalchemy.orm import Session

from campaign import audit, notifications
from campaign.actors import actor_for
from campaign.current import active_campaign
from campaign.models import (
    Campaign,
    Household,
    KeyCheck,
    Obligation,
    Problem,
    Unit,
    User,
    VillageVisit,
)
from campaign.models.accounts import Role
from campaign.models.org import UnitKind
from campaign.org import unit_by_code
from core import clock
from core.days import NotADay, read_day
from core.errors import Conflict, InvalidInput
from engine import cases
from engine.errors import NotAllowed
from engine.host import CaseContext, EngineHost
from forms.fields import DAY_OUT_OF_RANGE, in_calendar

PROCESS_KEY = "key_check"


@dataclass(frozen=True)
class TownshipScore:
    township: Unit
    villages: int
    findings: int
    per_village: float
    submitted_reports: int
    weak: bool
    reasons: tuple[str, ...]
    villages_visited: int = 0
    households_listed: int = 0
    households_visited: int = 0  # as the filed monthly reports count them
    reports_overdue: int = 0
    reports_returned: int = 0


def _counts(rows: Result[tuple[int | None, int]]) -> dict[int | None, int]:
    # A Result has keys(), so dict(result) would treat it as a mapping: build it by hand.
    return {key: count for key, count in rows}


def propose(session: Session, campaign: Campaign | None = None) -> list[TownshipScore]:
    """Every township scored, weakest first."""
    campaign = campaign or active_campaign(session)
    townships = list(
        session.scalars(
            select(Unit)
            .where(Unit.kind == UnitKind.TOWNSHIP.value, Unit.active.is_(True))
            .order_by(Unit.code)
        )
    )
    villages = _counts(
        session.execute(
            select(Unit.parent_id, func.count())
            .where(Unit.kind == UnitKind.VILLAGE.value)
            .group_by(Unit.parent_id)
        )
    )
    findings = _counts(
        session.execute(
            # A voided entry was no finding: registering and voiding does not lift a
            # township off the zero-report list.
            select(Problem.unit_id, func.count())
            .where(Problem.campaign_id == campaign.id, Problem.voided_at.is_(None))
            .group_by(Problem.unit_id)
        )
    )
    monthly = (
        Obligation.campaign_id == campaign.id,
        Obligation.deadline_code == "monthly_report",
    )
    reports = _counts(
        session.execute(
            select(Obligation.unit_id, func.count())
            .where(*monthly, Obligation.status == "submitted")
            .group_by(Obligation.unit_id)
        )
    )
    visited_households = _counts(
        session.execute(
            select(Obligation.unit_id, func.coalesce(func.sum(Obligation.visited_households), 0))
            .where(*monthly, Obligation.status == "submitted")
            .group_by(Obligation.unit_id)
        )
    )
    overdue = _counts(
        session.execute(
            select(Obligation.unit_id, func.count())
            .where(
                *monthly,
                Obligation.status == "open",
                Obligation.due_on < clock.local_now().date(),
            )
            .group_by(Obligation.unit_id)
        )
    )
    returned = _counts(
        session.execute(
            select(Obligation.unit_id, func.count())
            .where(*monthly, Obligation.status == "returned")
            .group_by(Obligation.unit_id)
        )
    )
    village_of = Unit.kind == UnitKind.VILLAGE.value
    visited_villages = _counts(
        session.execute(
            select(VillageVisit.township_id, func.count(func.distinct(VillageVisit.village_id)))
            .where(VillageVisit.campaign_id == campaign.id)
            .group_by(VillageVisit.township_id)
        )
    )
    listed = _counts(
        session.execute(
            select(Unit.parent_id, func.count())
            .select_from(Household)
            .join(Unit, Unit.id == Household.village_id)
            .where(village_of, Household.campaign_id == campaign.id)
            .group_by(Unit.parent_id)
        )
    )
    rates = {t.id: findings.get(t.id, 0) / max(1, villages.get(t.id, 0)) for t in townships}
    middle = median(rates.values()) if rates else 0.0
    scores = []
    for township in townships:
        reasons = []
        if findings.get(township.id, 0) == 0:
            reasons.append("零报送：未发现任何问题")
        elif rates[township.id] < middle:
            reasons.append(f"每村发现问题 {rates[township.id]:.2f} 个，低于全区中位数 {middle:.2f}")
        never = villages.get(township.id, 0) - visited_villages.get(township.id, 0)
        if never > 0:
            reasons.append(f"{never} 个村从未自查走访")
        late, back = overdue.get(township.id, 0), returned.get(township.id, 0)
        if late:
            reasons.append(f"月报逾期未报 {late} 份")
        if back:
            reasons.append(f"月报被退回未重报 {back} 份")
        scores.append(
            TownshipScore(
                township,
                villages.get(township.id, 0),
                findings.get(township.id, 0),
                rates[township.id],
                reports.get(township.id, 0),
                bool(reasons),
                tuple(reasons),
                villages_visited=visited_villages.get(township.id, 0),
                households_listed=listed.get(township.id, 0),
                households_visited=int(visited_households.get(township.id, 0)),
                reports_overdue=late,
                reports_returned=back,
            )
        )
    # The weakest first: the most reasons, then the fewest findings per village.
    return sorted(
        scores, key=lambda s: (not s.weak, -len(s.reasons), s.per_village, s.township.code)
    )


def assign(
    session: Session,
    host: EngineHost,
    user: User,
    township_code: str,
    team_code: str,
    reason: str = "",
    due_on: str = "",
) -> KeyCheck:
    if not user.has_role(Role.SUPERVISOR.value):
        raise NotAllowed("只有领导小组办公室可以安排重点检查")
    due = _due_date(due_on)
    township = unit_by_code(session, township_code)
    team = unit_by_code(session, team_code)
    if township.kind != UnitKind.TOWNSHIP.value:
        raise InvalidInput(f"{township.name} 不是乡镇")
    if team.kind != UnitKind.INSPECTION_TEAM.value:
        raise InvalidInput(f"{team.name} 不是检查专班")
    campaign = active_campaign(session)
    if session.scalar(
        select(KeyCheck.id).where(
            KeyCheck.campaign_id == campaign.id, KeyCheck.township_id == township.id
        )
    ):
        raise Conflict(f"{township.name} 已安排重点检查")
    check = KeyCheck(
        campaign_id=campaign.id,
        township=township,
        team=team,
        reason=reason[:200],
        chosen_by=user.id,
        due_on=due,
    )
    session.add(check)
    session.flush()
    case = cases.start_case(
        session,
        host,
        PROCESS_KEY,
        data={
            "key_check_id": check.id,
            "township": township.code,
            "township_name": township.name,
            "inspection_team_unit_id": team.id,
        },
        context=CaseContext(
            owning_unit_id=township.id,
            responsible_unit_id=team.id,
            subject_type="key_check",
            subject_id=check.id,
        ),
        actor=actor_for(user),
    )
    check.case_id = case.id
    notifications.for_new_work(session, case.id)
    audit.record(
        session, "key_check.assign", actor=user, target=f"unit:{township.code}", team=team.code
    )
    return check


def _due_date(text: str) -> date | None:
    """The date the check is to be done by: optional, not in the past."""
    if not text.strip():
        return None
    try:
        due = read_day(text)
    except NotADay as refused:
        raise InvalidInput(fields={"due_on": f"完成期限：{refused}"}) from None
    if due < clock.local_now().date():
        raise InvalidInput(fields={"due_on": "完成期限：不能早于今天"})
    if not in_calendar(due):
        raise InvalidInput(fields={"due_on": f"完成期限：{DAY_OUT_OF_RANGE}"})
    return due


def townships_checked_by(session: Session, team_ids: Collection[int]) -> set[int]:
    """The townships the inspection teams were assigned to check (no statement for none)."""
    if not team_ids:
        return set()
    chosen = select(KeyCheck.township_id).where(KeyCheck.team_id.in_(team_ids))
    return set(session.scalars(chosen))
