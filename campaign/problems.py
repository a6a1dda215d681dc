"""The problem ledger's service: who may register for a unit, registering one problem (as
campaign.registration registers many), how an entry's status follows its case, reopening
after a follow-up visit, its history. Completing its tasks goes through campaign.tasks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, key_checks, notifications, registration
from campaign.actors import actor_for
from campaign.current import active_campaign, ensure_open
from campaign.models import Attachment, Problem, ProblemStatus, Unit, User
from campaign.models.accounts import UNIT_ROLES, Role
from campaign.models.org import UnitKind
from campaign.org import unit_by_code
from campaign.problem_status import PROCESS_KEY, status_for
from core import clock
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine import cases, projection
from engine.host import CaseContext, EngineHost
from engine.models import Case, CaseEvent


def register_refusal(session: Session, user: User, unit: Unit) -> str | None:
    """Why the person may not register problems for the unit, or None when they may."""
    return None if may_register(session, user, unit) else f"您不能为“{unit.name}”登记问题"


def may_register(session: Session, user: User, unit: Unit) -> bool:
    """Whether the person may register problems for the unit (registrable_unit_ids)."""
    ids = registrable_unit_ids(session, user)
    return ids is None or unit.id in ids


def registrable_unit_ids(session: Session, user: User) -> set[int] | None:
    """The units the person may register problems for, None for every unit: officers and
    reviewers of the unit; an inspection team for the townships it was assigned to check
    (a statement, only for a person of a team); the leading group office for any unit."""
    if user.has_role(Role.SUPERVISOR.value):
        return None
    own = {r.unit_id for r in user.roles if r.role in UNIT_ROLES}
    teams = {r.unit_id for r in user.roles if r.role == Role.INSPECTOR.value}
    return own | key_checks.townships_checked_by(session, teams)


LEDGER_KINDS = (UnitKind.TOWNSHIP.value, UnitKind.DEPARTMENT.value)  # the units that keep one


def ledger_units(session: Session, among: set[int] | None = None) -> list[Unit]:
    """The units that keep a ledger: townships and departments (of the ids `among`, when given)."""
    query = select(Unit).where(Unit.kind.in_(LEDGER_KINDS)).order_by(Unit.code)
    if among is not None:
        query = query.where(Unit.id.in_(among))
    return list(session.scalars(query))


def ledger_unit_names(session: Session) -> list[tuple[str, str]]:
    """The code and name of each unit that keeps a ledger, for a list to choose one from (a
    province has 1,338 of them: not worth building as objects on every page)."""
    rows = session.execute(
        select(Unit.code, Unit.name).where(Unit.kind.in_(LEDGER_KINDS)).order_by(Unit.code)
    )
    return [(code, name) for code, name in rows]


def registering_units(session: Session, user: User) -> list[Unit]:
    """The units that keep a ledger the person may register problems for (may_register, as
    a list, read in one statement: asked unit by unit, a township officer's form on a
    province ran 2,500 statements)."""
    ids = registrable_unit_ids(session, user)
    if ids is not None and not ids:
        return []
    return ledger_units(session, among=ids)


def by_number(session: Session, number: str) -> Problem:
    """A ledger entry by its number (2022-QSZ-0001), for commands that name it."""
    problem = session.scalar(select(Problem).where(Problem.number == number.strip()))
    if problem is None:
        raise NotFound(f"问题台账中没有编号为 {number} 的问题")
    return problem


def may_reopen(user: User, problem: Problem) -> bool:
    """A closed problem is reopened after a follow-up visit by its unit's head or the office."""
    return problem.status == ProblemStatus.CLOSED.value and (
        user.has_role(Role.SUPERVISOR.value) or user.has_role(Role.REVIEWER.value, problem.unit_id)
    )


def register(
    session: Session,
    host: EngineHost,
    user: User,
    unit_code: str,
    data: Mapping[str, Any],
    *,
    source: str = "",  # how it arrived; by default, as the request or command says
) -> Problem:
    """Register one problem from the register form (the web page or the API)."""
    try:
        unit = unit_by_code(session, unit_code)
    except NotFound as unknown:
        raise InvalidInput(str(unknown), {"unit": str(unknown)}) from None
    if (refusal := register_refusal(session, user, unit)) is not None:
        raise NotAllowed(refusal)
    campaign = active_campaign(session)
    context = CaseContext(owning_unit_id=unit.id, subject_type="problem")
    clean = host.clean_submission(session, "register_problem", data, context)
    entry = registration.Registration(unit.code, clean, source=source)
    [(problem_id, _number)] = registration.register_many(session, host, user, campaign, [entry])
    problem = session.get(Problem, problem_id)
    assert problem is not None
    return problem


def follow_case(session: Session, problem: Problem, case: Case) -> None:
    """After every change of the problem's case (its latest: a reopened problem has a new
    one), on every path: a completion, a timer, a migration, an error."""
    problem.case_id = case.id
    problem.status = status_for(case.status, projection.open_steps(session, case)).value
    if problem.voided_at is not None:
        problem.status = ProblemStatus.VOIDED.value
    if problem.status == ProblemStatus.CLOSED.value:
        problem.closed_at = problem.closed_at or clock.now()
    else:
        problem.closed_at = None


def reopen(
    session: Session,
    host: EngineHost,
    user: User,
    problem: Problem,
    *,
    visited_on: date,
    finding: str,
) -> Problem:
    """A follow-up visit (回访) found the problem back: a new lifecycle starts for the same
    ledger entry; the closed case stays in its history."""
    ensure_open(session, problem.campaign_id)
    if problem.status != ProblemStatus.CLOSED.value:
        raise Conflict("只有已销号的问题才能在回访后重新打开")
    if not may_reopen(user, problem):
        raise NotAllowed("只有本单位负责人或领导小组办公室可以重新打开问题")
    if not finding.strip():
        raise InvalidInput("请填写回访发现的情况")
    if visited_on > clock.local_now().date():
        raise InvalidInput("回访日期不能晚于今天")
    # A new lifecycle: the reason not to transfer a clue must be agreed anew at its sign-off.
    problem.no_transfer_approved_by = None
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


def evidence(session: Session, problem: Problem) -> list[tuple[Attachment, str]]:
    """Every file uploaded in every lifecycle of the problem (evidence, supplements), oldest
    first, with who uploaded it: reachable from the ledger for the whole life of the
    problem, closed or not."""
    return [
        (attachment, name or username)
        for attachment, name, username in session.execute(
            select(Attachment, User.full_name, User.username)
            .join(Case, Case.id == Attachment.case_id)
            .join(User, User.id == Attachment.uploaded_by)
            .where(Case.subject_type == "problem", Case.subject_id == problem.id)
            .order_by(Attachment.uploaded_at, Attachment.id)
        ).tuples()
    ]
