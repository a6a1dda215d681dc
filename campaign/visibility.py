"""Which records a person may see: everything is scoped to the units and roles they hold.

- officers and reviewers: problems of their units (and of the villages below them), and
  problems their units are responsible for rectifying;
- the leading group office (supervisor): the whole district;
- inspection teams: problems of the townships they were assigned to check;
- the discipline commission: problems that have a clue transferred to it;
- administrators and auditors: no ledger at all (separation of duties)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from campaign.models import Clue, KeyCheck, Problem, User
from campaign.models.accounts import UNIT_ROLES, Role


def sees_whole_district(user: User) -> bool:
    return user.has_role(Role.SUPERVISOR.value)


def problem_filter(session: Session, user: User) -> ColumnElement[bool]:
    """A WHERE clause limiting problems to those the person may see."""
    if sees_whole_district(user):
        return true()
    clauses: list[ColumnElement[bool]] = []
    units = {r.unit_id for r in user.roles if r.role in UNIT_ROLES}
    if units:
        clauses += [Problem.unit_id.in_(units), Problem.responsible_unit_id.in_(units)]
    teams = {r.unit_id for r in user.roles if r.role == Role.INSPECTOR.value}
    if teams:
        checked = select(KeyCheck.township_id).where(KeyCheck.team_id.in_(teams))
        clauses.append(Problem.unit_id.in_(checked))
    if user.has_role(Role.DISCIPLINE.value):
        clauses.append(Problem.id.in_(select(Clue.problem_id)))
    return or_(*clauses) if clauses else false()


def may_see_problem(session: Session, user: User, problem: Problem) -> bool:
    found = session.scalar(
        select(Problem.id).where(Problem.id == problem.id, problem_filter(session, user))
    )
    return found is not None
