"""The problem ledger's service: register a problem (starting its lifecycle) and derive its
status from its case. Completing its tasks goes through campaign.tasks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, key_checks, ledger_effects, notifications, numbering
from campaign.current import active_campaign
from campaign.errors import Conflict, InvalidInput
from campaign.models import Campaign, Problem, ProblemStatus, Unit, User
from campaign.models.accounts import Role
from campaign.org import unit_by_code
from campaign.workflow_host import CampaignHost, actor_for
from core import clock
from engine import cases
from engine.errors import NotAllowed
from engine.host import CaseContext
from engine.models import Case, CaseEvent, CaseStatus, WorkItem, WorkItemState

PROCESS_KEY = "problem_lifecycle"

# Which open step of the lifecycle means which ledger status.
STEP_STATUS = {
    "review_registration": ProblemStatus.REVIEWING,
    "correct_registration": ProblemStatus.CORRECTING,
    "rectify": ProblemStatus.RECTIFYING,
    "approve_extension": ProblemStatus.EXTENSION,
    "signoff": ProblemStatus.SIGNOFF,
    "draft_disclosure": ProblemStatus.DISCLOSING,
    "approve_disclosure": ProblemStatus.DISCLOSING,
    "confirm_close": ProblemStatus.CLOSING,
}
REGISTERING_ROLES = {Role.OFFICER.value, Role.REVIEWER.value}


def next_number(session: Session, campaign: Campaign, unit: Unit) -> str:
    """2022-QSZ-0001: numbered per unit and campaign."""
    value = numbering.next_value(session, f"problem:{campaign.year}:{unit.code}")
    return f"{campaign.year}-{unit.code}-{value:04d}"


def may_register(session: Session, user: User, unit: Unit) -> bool:
    """Officers and reviewers of the unit; an inspection team for the townships it was
    assigned to check; the leading group office for any unit."""
    if any(r.unit_id == unit.id and r.role in REGISTERING_ROLES for r in user.roles):
        return True
    if user.has_role(Role.SUPERVISOR.value):
        return True
    teams = {r.unit_id for r in user.roles if r.role == Role.INSPECTOR.value}
    return bool(teams & key_checks.teams_checking(session, unit))


def register(
    session: Session, host: CampaignHost, user: User, unit_code: str, data: Mapping[str, Any]
) -> Problem:
    unit = unit_by_code(session, unit_code)
    if not may_register(session, user, unit):
        raise NotAllowed(f"您不能为“{unit.name}”登记问题")
    campaign = active_campaign(session)
    context = CaseContext(owning_unit_id=unit.id, subject_type="problem")
    clean = host.clean_submission(session, "register_problem", data, context)
    problem = Problem(
        campaign=campaign,
        unit=unit,
        number=next_number(session, campaign, unit),
        registered_by=user.id,
        registered_at=clock.now(),
        status=ProblemStatus.REVIEWING.value,
    )
    ledger_effects.apply_registration(session, problem, clean)
    session.add(problem)
    session.flush()
    case = cases.start_case(
        session,
        host,
        PROCESS_KEY,
        data={**clean, "problem_id": problem.id, "problem_number": problem.number},
        context=CaseContext(owning_unit_id=unit.id, subject_type="problem", subject_id=problem.id),
        actor=actor_for(user),
    )
    problem.case_id = case.id
    sync_status(session, problem)
    notifications.for_new_work(session, case.id)
    audit.record(
        session, "problem.register", actor=user, target=f"problem:{problem.number}", unit=unit.code
    )
    return problem


def sync_status(session: Session, problem: Problem) -> None:
    """The ledger status is derived from the problem's case: its open step, or its end."""
    case = session.get(Case, problem.case_id) if problem.case_id else None
    if case is None:
        return
    if case.status == CaseStatus.COMPLETED.value:
        problem.status = ProblemStatus.CLOSED.value
        problem.closed_at = problem.closed_at or clock.now()
        return
    if case.status == CaseStatus.ERROR.value:
        problem.status = ProblemStatus.ERROR.value
        return
    steps = session.scalars(
        select(WorkItem.bpmn_id).where(
            WorkItem.case_id == case.id, WorkItem.state == WorkItemState.OPEN.value
        )
    )
    for step in steps:
        if step in STEP_STATUS:
            problem.status = STEP_STATUS[step].value
            return


def reopen(
    session: Session,
    host: CampaignHost,
    user: User,
    problem: Problem,
    *,
    visited_on: date,
    finding: str,
) -> Problem:
    """A follow-up visit (回访) found the problem back: a new lifecycle starts for the same
    ledger entry; the closed case stays in its history."""
    if problem.status != ProblemStatus.CLOSED.value:
        raise Conflict("只有已销号的问题才能在回访后重新打开")
    if not (
        user.has_role(Role.SUPERVISOR.value) or user.has_role(Role.REVIEWER.value, problem.unit_id)
    ):
        raise NotAllowed("只有本单位负责人或领导小组办公室可以重新打开问题")
    if not finding.strip():
        raise InvalidInput("请填写回访发现的情况")
    if visited_on > clock.local_now().date():
        raise InvalidInput("回访日期不能晚于今天")
    case = cases.start_case(
        session,
        host,
        PROCESS_KEY,
        data={
            "problem_id": problem.id,
            "problem_number": problem.number,
            "reopened": True,
            "followup_on": visited_on.isoformat(),
            "followup_finding": finding.strip(),
        },
        context=CaseContext(
            owning_unit_id=problem.unit_id, subject_type="problem", subject_id=problem.id
        ),
        actor=actor_for(user),
    )
    problem.case_id = case.id
    problem.closed_at = None
    sync_status(session, problem)
    notifications.for_new_work(session, case.id)
    audit.record(
        session,
        "problem.reopen",
        actor=user,
        target=f"problem:{problem.number}",
        visited_on=visited_on,
    )
    return problem


def history(session: Session, problem: Problem) -> list[CaseEvent]:
    """Every event of every lifecycle the problem went through, oldest first."""
    return list(
        session.scalars(
            select(CaseEvent)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.subject_type == "problem", Case.subject_id == problem.id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    )
