"""The problem ledger's service: register a problem (starting its lifecycle) and derive its
status from its case. Completing its tasks goes through campaign.tasks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, ledger_effects, numbering
from campaign.errors import NotFound
from campaign.models import Campaign, Problem, ProblemStatus, Unit, User
from campaign.models.accounts import Role
from campaign.org import unit_by_code
from campaign.workflow_host import CampaignHost, actor_for
from core import clock
from engine import cases
from engine.errors import NotAllowed
from engine.host import CaseContext
from engine.models import Case, CaseStatus, WorkItem, WorkItemState

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
REGISTERING_ROLES = {
    Role.OFFICER.value,
    Role.REVIEWER.value,
    Role.INSPECTOR.value,
    Role.SUPERVISOR.value,
}


def active_campaign(session: Session) -> Campaign:
    campaign = session.scalars(
        select(Campaign).where(Campaign.active.is_(True)).order_by(Campaign.year.desc())
    ).first()
    if campaign is None:
        raise NotFound("没有进行中的专项治理活动，请先运行 ykt init")
    return campaign


def next_number(session: Session, campaign: Campaign, unit: Unit) -> str:
    """2022-QSZ-0001: numbered per unit and campaign."""
    value = numbering.next_value(session, f"problem:{campaign.year}:{unit.code}")
    return f"{campaign.year}-{unit.code}-{value:04d}"


def _may_register(user: User, unit: Unit) -> bool:
    """Officers and reviewers of the unit; inspection teams for the townships they check; the
    leading group office for anyone."""
    if any(r.unit_id == unit.id and r.role in REGISTERING_ROLES for r in user.roles):
        return True
    if unit.kind == "township" and user.has_role(Role.INSPECTOR.value):
        return True
    return user.has_role(Role.SUPERVISOR.value)


def register(
    session: Session, host: CampaignHost, user: User, unit_code: str, data: Mapping[str, Any]
) -> Problem:
    unit = unit_by_code(session, unit_code)
    if not _may_register(user, unit):
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
