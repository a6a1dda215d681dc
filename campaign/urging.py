"""催办: the leading group office urges open tasks from the 督办 drill-down.

An urge tells the task's assignees and the head of its unit, names who urged, and is
recorded in the audit log and the case's history. A task is urged at most once a (Beijing)
day: the `urge` row's unique key (task, day) holds even when the button is pressed twice at
once. Only open tasks can be urged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign import audit, notice_texts, notifications
from campaign.actors import actor_for
from campaign.models import Urge, User
from campaign.models.accounts import Role
from core import clock
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.cases import record_event
from engine.models import WorkItem, WorkItemState

NOTE_MAX = 100
SELECTION_MAX = 200
NOT_OPEN = "该事项已办结或已撤销，无需催办"
ONCE_A_DAY = "今天已催办过该事项，每个事项每天只能催办一次，请明天再催"


def may_urge(user: User) -> bool:
    return user.enabled and user.has_role(Role.SUPERVISOR.value)


@dataclass
class Urged:
    done: list[WorkItem] = field(default_factory=list)
    today_already: list[WorkItem] = field(default_factory=list)
    not_open: list[int] = field(default_factory=list)
    told: int = 0

    def summary(self) -> str:
        words = [f"已催办 {len(self.done)} 项，通知 {self.told} 人"]
        if self.today_already:
            words.append(f"{len(self.today_already)} 项今天已催办过")
        if self.not_open:
            words.append(f"{len(self.not_open)} 项已办结或不存在")
        return "；".join(words)


def urge(session: Session, user: User, item_ids: Sequence[int], note: str = "") -> Urged:
    """Urge the selected tasks; refused as a whole only when none of them could be urged."""
    if not may_urge(user):
        raise NotAllowed("只有领导小组办公室可以催办")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"催办说明不能超过 {NOTE_MAX} 字", {"note": "说明过长"})
    wanted = list(dict.fromkeys(item_ids))
    if not wanted:
        raise InvalidInput("请选择要催办的事项", {"items": "请至少选择一项"})
    if len(wanted) > SELECTION_MAX:
        raise InvalidInput(f"一次最多催办 {SELECTION_MAX} 项", {"items": "所选事项过多"})
    found = {i.id: i for i in session.scalars(select(WorkItem).where(WorkItem.id.in_(wanted)))}
    result = Urged()
    for item_id in wanted:
        item = found.get(item_id)
        if item is None or item.state != WorkItemState.OPEN.value:
            result.not_open.append(item_id)
        elif _take_today(session, user, item, note):
            result.told += _tell(session, user, item, note)
            result.done.append(item)
        else:
            result.today_already.append(item)
    if not result.done:
        if len(wanted) == 1:
            if result.not_open and wanted[0] not in found:
                raise NotFound("该事项不存在")
            raise Conflict(NOT_OPEN if result.not_open else ONCE_A_DAY)
        raise Conflict("所选事项均未催办：" + result.summary().split("；", 1)[1])
    session.flush()
    return result


def _take_today(session: Session, user: User, item: WorkItem, note: str) -> bool:
    """Record today's urge of the task; False when it was already urged today."""
    day = clock.local_now().date()
    exists = session.scalar(select(Urge.id).where(Urge.work_item_id == item.id, Urge.day == day))
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                Urge(
                    work_item_id=item.id,
                    day=day,
                    urged_by=user.id,
                    urged_at=clock.now(),
                    note=note,
                )
            )
    except IntegrityError:  # the same task urged at the same moment by another request
        return False
    return True


def _tell(session: Session, user: User, item: WorkItem, note: str) -> int:
    workers, heads = notifications.assignees_and_heads(session, item)
    by = user.full_name or user.username
    text = notice_texts.urged(notifications.about(session, item), by, note)
    kind = notice_texts.urge_kind(clock.local_now().date())
    told = notifications.notify(session, workers + heads, item, kind, text)
    record_event(
        session,
        item.case_id,
        "urged",
        actor_for(user),
        bpmn_id=item.bpmn_id,
        title=item.title,
        message=f"催办{('：' + note) if note else ''}（通知 {told} 人）",
    )
    audit.record(
        session,
        "task.urge",
        actor=user,
        target=f"case:{item.case_id}",
        task=item.bpmn_id,
        item=item.id,
        told=told,
        note=note,
    )
    return told


def urged_today(session: Session, item_ids: Sequence[int]) -> set[int]:
    """The tasks among these already urged today (their 催办 button is spent until tomorrow)."""
    if not item_ids:
        return set()
    day = clock.local_now().date()
    return set(
        session.scalars(
            select(Urge.work_item_id).where(Urge.work_item_id.in_(item_ids), Urge.day == day)
        )
    )


def days_overdue(item: WorkItem) -> int:
    """Whole Beijing days past the deadline's day (0 on the day itself)."""
    if item.due_at is None:
        return 0
    today = clock.local_now().date()
    return max(0, (today - item.due_at.astimezone(clock.LOCAL_TZ).date()).days)
