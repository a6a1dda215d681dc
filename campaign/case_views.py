"""A case as its page and the API show it: what it is, where it stands, what it waits for,
its open tasks and its history. Who may see it: campaign.records.may_see_case, and the person
who started it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import records
from campaign.models import User
from engine import cases, waits
from engine.models import Case, CaseEvent, CaseStatus, WorkItem, WorkItemState

STATUS_LABELS = {
    CaseStatus.RUNNING.value: "办理中",
    CaseStatus.WAITING.value: "等待中",
    CaseStatus.COMPLETED.value: "已完成",
    CaseStatus.ERROR.value: "出错",
    CaseStatus.CANCELLED.value: "已取消",
}


@dataclass(frozen=True)
class CaseView:
    case: Case
    waits: list[waits.Wait]
    open_items: list[WorkItem]
    history: list[CaseEvent]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.case.status, self.case.status)


def started_by(session: Session, case_id: int) -> int | None:
    return session.scalar(
        select(CaseEvent.actor_id).where(CaseEvent.case_id == case_id, CaseEvent.kind == "started")
    )


def may_see(session: Session, user: User, case_id: int) -> bool:
    return records.may_see_case(session, user, case_id) or (started_by(session, case_id) == user.id)


def view(session: Session, user: User, case_id: int) -> CaseView | None:
    """The case, or None when it does not exist or the person may not see it."""
    case = session.get(Case, case_id)
    if case is None or not may_see(session, user, case_id):
        return None
    waiting: list[waits.Wait] = []
    if case.status in (CaseStatus.RUNNING.value, CaseStatus.WAITING.value):
        waiting = waits.of_workflow(cases.restored(session, case))
    items = list(
        session.scalars(
            select(WorkItem)
            .where(WorkItem.case_id == case.id, WorkItem.state == WorkItemState.OPEN.value)
            .order_by(WorkItem.id)
        )
    )
    return CaseView(case, waiting, items, cases.history(session, case.id))
