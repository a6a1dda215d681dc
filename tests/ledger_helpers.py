"""Bringing test ledger entries to the point where they count in the statutory tables: their
registration reviewed and approved by a reviewer of their unit, through the real task."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import tasks
from campaign.models import Problem, RoleAssignment, User
from campaign.workflow_host import CampaignHost
from engine.models import WorkItem
from tests.factories import make_user


def reviewer_of(session: Session, unit_id: int, unit_code: str) -> User:
    found = session.scalars(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.unit_id == unit_id, RoleAssignment.role == "reviewer")
        .limit(1)
    ).first()
    return found or make_user(
        session, f"rev_{unit_code.lower()}", unit_code=unit_code, role="reviewer"
    )


def approve_registrations(
    session: Session, host: CampaignHost, entries: Iterable[Problem], deadline: str = "2022-12-31"
) -> None:
    """Completes each entry's 审核 with 通过: its unit is responsible, the deadline given."""
    for problem in entries:
        review = session.scalars(
            select(WorkItem).where(
                WorkItem.case_id == problem.case_id,
                WorkItem.bpmn_id == "review_registration",
                WorkItem.state == "open",
            )
        ).one()
        reviewer = reviewer_of(session, problem.unit_id, problem.unit.code)
        approval = {
            "review_decision": "approve",
            "responsible_unit": problem.unit.code,
            "responsible_person": "责任人",
            "rectify_type": "deadline",
            "measures": "整改",
            "deadline": deadline,
        }
        tasks.complete(session, host, reviewer, review.id, approval)
