"""Reminders and escalation by the policy (campaign.reminder_policy): before a task's
deadline to its assignees, at it, and after it to the unit head and then the office.

Each reminder goes out once per task and offset: its `reminder_sent` row is inserted with
ON CONFLICT DO NOTHING before any notice, and only the transaction whose insert took the
key sends the notices, so re-runs and several schedulers at once send it once. A batch takes
at most `limit` tasks, the earliest deadlines first; the job runs batches until one comes
back short, so 20,000 due tasks are worked through a batch at a time, never all at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from campaign import notice_texts, notifications
from campaign.campaign_cases import work_in_campaign
from campaign.models import Notification, ReminderSent
from campaign.models.accounts import Role
from campaign.notice_texts import TaskRow
from campaign.reminder_policy import ANY, Policy, Reminder, StepPolicy
from core import bulk, clock
from engine.models import Case, ProcessDefinition, WorkItem, WorkItemState

BATCH = 500


@dataclass(frozen=True)
class Due:
    task: TaskRow
    claimed_by: int | None
    role: str
    reminder: Reminder


def _applies(policy: Policy, entry: StepPolicy) -> ColumnElement[bool]:
    """The tasks whose most specific policy entry is `entry` (see Policy.for_step)."""
    key, step = ProcessDefinition.key, WorkItem.bpmn_id
    if entry.process != ANY and entry.step != ANY:
        return and_(key == entry.process, step == entry.step)
    if entry.process != ANY:
        named = [s.step for s in policy.steps if s.process == entry.process and s.step != ANY]
        return and_(key == entry.process, step.not_in(named) if named else true())
    whole = [s.process for s in policy.steps if s.process != ANY and s.step == ANY]
    steps = [and_(key == s.process, step == s.step) for s in policy.steps if s.step != ANY]
    return and_(key.not_in(whole) if whole else true(), not_(or_(*steps)) if steps else true())


def due(session: Session, policy: Policy, now: datetime, limit: int = BATCH) -> list[Due]:
    """Open tasks owed a reminder now, at most `limit`, the earliest deadlines first; an
    ended campaign's (they refuse being done) are owed none."""
    found: list[Due] = []
    of_campaign = work_in_campaign(session, None)
    for entry in policy.steps:
        for reminder in entry.reminders:
            if len(found) >= limit:
                return found
            query = (
                select(
                    WorkItem.id,
                    WorkItem.case_id,
                    WorkItem.unit_id,
                    WorkItem.title,
                    WorkItem.due_at,
                    WorkItem.claimed_by,
                    WorkItem.role,
                )
                .join(Case, Case.id == WorkItem.case_id)
                .join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
                .where(
                    WorkItem.state == WorkItemState.OPEN.value,
                    WorkItem.due_at < reminder.offset.bound(now),
                    _applies(policy, entry),
                    ~exists().where(
                        ReminderSent.work_item_id == WorkItem.id,
                        ReminderSent.offset_key == reminder.offset.key,
                    ),
                )
                .order_by(WorkItem.due_at, WorkItem.id)
                .limit(limit - len(found))
            )
            if of_campaign is not None:
                query = query.where(of_campaign)
            if reminder.until is not None:  # too late for it: the next one's time has come
                query = query.where(WorkItem.due_at >= reminder.until.bound(now))
            for row in session.execute(query):
                task = TaskRow(row.id, row.case_id, row.unit_id, row.title, row.due_at)
                found.append(Due(task, row.claimed_by, row.role, reminder))
    return found


def _take_keys(session: Session, owed: Sequence[Due], now: datetime) -> set[tuple[int, str]]:
    """Insert the reminders' keys; the ones this transaction took (not another's)."""
    if not owed:
        return set()
    rows = [
        {
            "work_item_id": d.task.id,
            "offset_key": d.reminder.offset.key,
            "due_at": d.task.due_at,
            "sent_at": now,
            "notices": 0,
        }
        for d in owed
    ]
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ReminderSent)
        .on_conflict_do_nothing(index_elements=["work_item_id", "offset_key"])
        .returning(ReminderSent.work_item_id, ReminderSent.offset_key)
    )
    taken: set[tuple[int, str]] = set()
    for start in range(0, len(rows), 200):
        taken.update(session.execute(statement.values(rows[start : start + 200])).tuples())
    return taken


def _recipients(session: Session, owed: Sequence[Due]) -> dict[tuple[int, str], list[int]]:
    """The people of each task by recipient kind (assignees, unit_head, office)."""
    pairs: set[tuple[int | None, str]] = set()
    for d in owed:
        pairs.add((d.task.unit_id, d.role))
        pairs.add((d.task.unit_id, Role.REVIEWER.value))
    holders = notifications.holders_of(session, pairs)
    office = notifications.supervisors(session)
    found: dict[tuple[int, str], list[int]] = {}
    for d in owed:
        who = [d.claimed_by] if d.claimed_by else holders[d.task.unit_id, d.role]
        found[d.task.id, "assignees"] = list(who)
        found[d.task.id, "unit_head"] = holders[d.task.unit_id, Role.REVIEWER.value]
        found[d.task.id, "office"] = office
    return found


@dataclass(frozen=True)
class Batch:
    due: int  # owed when the batch looked; fewer than its limit: nothing more is owed now
    sent: int  # reminders this batch sent (another scheduler may have sent the rest)
    notices: int


def send(session: Session, policy: Policy, limit: int = BATCH) -> Batch:
    """One batch of reminders. Call again while a batch finds `limit` owed."""
    now = clock.now()
    found = due(session, policy, now, limit)
    taken = _take_keys(session, found, now)
    owed = [d for d in found if (d.task.id, d.reminder.offset.key) in taken]
    if not owed:
        return Batch(len(found), 0, 0)
    about = notice_texts.about(session, [d.task for d in owed])
    people = _recipients(session, owed)
    rows: list[dict[str, Any]] = []
    counts: dict[tuple[int, str], int] = {}
    for d in owed:
        offset = d.reminder.offset
        kind = notice_texts.reminder_kind(offset.key, offset.after_deadline)
        assignees = set(people[d.task.id, "assignees"])
        told: dict[int, None] = {}
        for recipient in d.reminder.to:
            told.update(dict.fromkeys(people[d.task.id, recipient]))
        for user_id in told:
            text = notice_texts.reminder(about[d.task.id], assignee=user_id in assignees, now=now)
            rows.append(
                {
                    "user_id": user_id,
                    "kind": kind,
                    "text": text,
                    "work_item_id": d.task.id,
                    "created_at": now,
                }
            )
        counts[d.task.id, offset.key] = len(told)
    _insert_new(session, rows)
    for (item_id, key), number in counts.items():
        if number:
            session.execute(
                update(ReminderSent)
                .where(ReminderSent.work_item_id == item_id, ReminderSent.offset_key == key)
                .values(notices=number)
            )
    session.flush()
    return Batch(len(found), len(owed), len(rows))


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert the notices nobody has had yet (a person's notice of a kind on a task is one)."""
    if not rows:
        return
    item_ids = {r["work_item_id"] for r in rows}
    had = set(
        session.execute(
            select(Notification.user_id, Notification.work_item_id, Notification.kind).where(
                Notification.work_item_id.in_(item_ids)
            )
        ).tuples()
    )
    fresh = [r for r in rows if (r["user_id"], r["work_item_id"], r["kind"]) not in had]
    bulk.insert_rows(session, Notification, fresh)
