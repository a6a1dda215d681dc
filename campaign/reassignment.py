"""Handing an open task to a named colleague (转派), with a reason.

The head of the task's unit (its 负责人, the reviewer role there) may hand any open task of
the unit to a person who holds the task's role in that unit, e.g. when the officer who would
do it is away; the leading group office (supervisors) may do so in every unit. The task stays
the unit's and becomes that person's claimed task; the person is notified, and the case's
history and the audit record say who handed it to whom and why."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, notifications
from campaign.actors import actor_for
from campaign.campaign_cases import ensure_case_open
from campaign.models import RoleAssignment, User
from campaign.models.accounts import Role
from campaign.workflow_host import CampaignHost
from core.errors import InvalidInput
from engine import workitems
from engine.errors import NotAllowed, TaskConflict
from engine.models import WorkItem, WorkItemState

REASON_MAX = 500


def may_reassign(user: User, item: WorkItem) -> bool:
    if item.state != WorkItemState.OPEN.value:
        return False
    return user.has_role(Role.SUPERVISOR.value) or user.has_role(Role.REVIEWER.value, item.unit_id)


def candidates(session: Session, item: WorkItem, by: User | None = None) -> list[User]:
    """The enabled people who hold the task's role in its unit, by name; not the person
    handing it on (转派 gives a task to someone else: one takes one's own task by 认领)."""
    query = (
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.unit_id == item.unit_id,
            RoleAssignment.role == item.role,
            User.enabled.is_(True),
        )
        .order_by(User.full_name, User.username)
    )
    if by is not None:
        query = query.where(User.id != by.id)
    return list(session.scalars(query.distinct()))


def reassign(
    session: Session, host: CampaignHost, user: User, item_id: int, person_id: int, reason: str
) -> WorkItem:
    item = session.get(WorkItem, item_id)
    if item is None or item.state != WorkItemState.OPEN.value:
        raise TaskConflict("该任务已办理完毕或不存在，请刷新")
    ensure_case_open(session, item.case_id)
    if not may_reassign(user, item):
        raise NotAllowed("只有本单位负责人或领导小组办公室可以转派任务")
    if person_id == user.id:
        raise InvalidInput(
            "不能转派给自己：如需自己办理，请在待办中认领", {"person_id": "请选择其他人员"}
        )
    person = next((p for p in candidates(session, item, by=user) if p.id == person_id), None)
    if person is None:
        raise InvalidInput(
            "请选择本单位中可以办理此环节的人员", {"person_id": "请选择可以办理此环节的人员"}
        )
    reason = reason.strip()
    if not reason:
        raise InvalidInput("转派须填写理由", {"reason": "请填写转派理由"})
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"转派理由不能超过 {REASON_MAX} 字", {"reason": "理由过长"})
    name = person.full_name or person.username
    item = workitems.reassign(
        session,
        host,
        item_id,
        by=actor_for(user),
        reason=f"转派给{name}：{reason}",
        to_person=actor_for(person),
    )
    notifications.for_reassigned(session, item, person.id, by=user, reason=reason)
    audit.record(
        session,
        "task.reassign",
        actor=user,
        target=f"case:{item.case_id}",
        task=item.bpmn_id,
        to=person.username,
        reason=reason,
    )
    return item
