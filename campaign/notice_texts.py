"""What a notice says: the record it is about (problem number, clue, the month's report), the
unit, the step's title and the deadline, so that a list of a hundred notices is a hundred
different lines. Also the kinds of notice and their Chinese names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import Session

from campaign.models import Notification, Unit
from core import clock, held_rows
from engine.models import Case

TEXT_MAX = 300
# Kinds of notice as a person tells them apart. A notice's kind is one of these, or, for a
# reminder of the policy or a 催办, the family followed by what makes it one of a kind:
# remind-3d, remind0 (before and at the deadline), overdue+1d (after it), urge20220615.
FAMILIES = {
    "assigned": "新待办",
    "returned": "被退回",
    "reassigned": "转派",
    "remind": "到期提醒",
    "overdue": "逾期提醒",
    "urge": "催办",
}


def family_of(kind: str) -> str:
    for family in ("remind", "overdue", "urge"):
        if kind.startswith(family):
            return family
    return kind


def label_of(kind: str) -> str:
    return FAMILIES.get(family_of(kind), kind)


def of_family(family: str) -> ColumnElement[bool]:
    """Notices of one family, as a condition on the notification table."""
    if family in ("remind", "overdue", "urge"):
        return or_(Notification.kind == family, Notification.kind.startswith(family))
    return Notification.kind == family


def reminder_kind(offset_key: str, after_deadline: bool) -> str:
    return ("overdue" if after_deadline else "remind") + offset_key


def urge_kind(day: date) -> str:
    return f"urge{day:%Y%m%d}"


@dataclass(frozen=True)
class About:
    """What a task is: its record, unit, step and deadline, in words."""

    subject: str  # 问题 LKQ-2022-0003, 问题线索 XS-2022-001, 月报（2022-06）
    unit: str
    step: str
    due_at: datetime | None

    @property
    def head(self) -> str:
        unit = f"（{self.unit}）" if self.unit else ""
        return f"{self.subject}{unit}“{self.step}”"

    @property
    def due_day(self) -> date | None:
        return self.due_at.astimezone(clock.LOCAL_TZ).date() if self.due_at else None

    def days_left(self, now: datetime | None = None) -> int:
        """Whole Beijing days to the deadline's day: 0 on the day, negative once late."""
        if self.due_day is None:
            return 0
        return (self.due_day - (now or clock.now()).astimezone(clock.LOCAL_TZ).date()).days


@dataclass(frozen=True)
class TaskRow:
    """The columns of a work item a notice needs (read as a row, not an entity, in bulk)."""

    id: int
    case_id: int
    unit_id: int | None
    title: str
    due_at: datetime | None


def about(session: Session, items: Iterable[TaskRow]) -> dict[int, About]:
    """What each task is about, by its id: one query for the cases, one per kind of record."""
    # Imported here: the registry imports the services that make notices (problems, clues).
    from campaign import records

    items = list(items)
    wanted = {i.case_id for i in items}
    cases = held_rows.by_ids(session, Case, wanted)
    subjects = records.records_of(session, cases.values())
    unit_ids = {i.unit_id for i in items if i.unit_id is not None}
    units = {u.id: u.name for u in held_rows.by_ids(session, Unit, unit_ids).values()}
    found = {}
    for item in items:
        case = cases.get(item.case_id)
        subject = case.definition.name if case is not None else ""
        if case is not None:
            kind, record = records.kind_of(case), subjects.get(case.id)
            if kind is not None and record is not None:
                subject = kind.name_of(record, case)
        found[item.id] = About(subject, units.get(item.unit_id or 0, ""), item.title, item.due_at)
    return found


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"


def new_work(task: About, verb: str) -> str:
    due = f"，办理期限 {task.due_day}" if task.due_day else ""
    return _clip(f"{task.head}：{verb}{due}")


def reassigned(task: About, sender: str, reason: str) -> str:
    return _clip(f"{task.head}：{sender}转派给您（{reason}）")


def reminder(task: About, *, assignee: bool, now: datetime | None = None) -> str:
    """A reminder of the policy: before, at or after the deadline, for its assignees or for
    those who see that it gets done (the unit head, the office)."""
    left = task.days_left(now)
    if left > 0:
        return _clip(f"{task.head}将于 {task.due_day} 到期，还有 {left} 天，请抓紧办理")
    if left == 0 and task.due_at is not None and task.due_at >= (now or clock.now()):
        return _clip(f"{task.head}今天（{task.due_day}）到期，请抓紧办理")
    late = max(1, -left)
    ask = "请尽快办理" if assignee else "请督促办理"
    return _clip(f"{task.head}已逾期 {late} 天（办理期限 {task.due_day}），{ask}")


URGING_OFFICE = "领导小组办公室"


def urged(task: About, by: str, note: str = "", now: datetime | None = None) -> str:
    left = task.days_left(now)
    if task.due_day is None:
        when = ""
    elif left < 0 or (task.due_at is not None and task.due_at < (now or clock.now())):
        when = f"已逾期 {max(1, -left)} 天（办理期限 {task.due_day}），"
    else:
        when = f"办理期限 {task.due_day}，"
    extra = f"（{note}）" if note else ""
    # An account named for its office (the demo's 领导小组办公室（示例）) is not named twice.
    office = "" if by.startswith(URGING_OFFICE) else URGING_OFFICE
    return _clip(f"{task.head}：{office}{by}催办{extra}，{when}请尽快办理")
