"""Telling people about work: who gets a notice when a task appears, comes back or is handed
over. Reminders around deadlines are campaign.reminders', 催办 campaign.urging's; what a
notice says is campaign.notice_texts', the notifications page's campaign.notice_board."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Integer,
    String,
    Table,
    bindparam,
    exists,
    func,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from campaign import notice_texts
from campaign.models import Notification, RoleAssignment, Unit, User
from campaign.models.accounts import Role
from campaign.notice_texts import FAMILIES, TaskRow
from core import bulk, clock, sent_later
from core.db import UTCDateTime
from engine import projection
from engine.batch_start import StartedCase
from engine.models import WorkItem, WorkItemState

KIND_LABELS = FAMILIES


def holders_of(
    session: Session, pairs: set[tuple[int | None, str]]
) -> dict[tuple[int | None, str], list[int]]:
    """The enabled people holding each (unit, role), found in one query for all the pairs:
    an import's batch names a hundred units, and a query per pair was most of its notices'
    cost. A role is always held in a unit, so a pair without one has nobody."""
    found: dict[tuple[int | None, str], list[int]] = {pair: [] for pair in pairs}
    units = {unit_id for unit_id, _ in pairs if unit_id is not None}
    if not units:
        return found
    query = (
        select(RoleAssignment.unit_id, RoleAssignment.role, RoleAssignment.user_id)
        .join(User)
        .where(
            RoleAssignment.unit_id.in_(sorted(units)),
            RoleAssignment.role.in_(sorted({role for _, role in pairs})),
            User.enabled.is_(True),
        )
        .order_by(RoleAssignment.id)
    )
    for unit_id, role, user_id in session.execute(query):
        if (unit_id, role) in found:  # the IN lists also match pairs nobody asked for
            found[unit_id, role].append(user_id)
    return found


def supervisors(session: Session) -> list[int]:
    """The enabled people of the leading group office."""
    return list(
        dict.fromkeys(
            session.scalars(
                select(RoleAssignment.user_id)
                .join(User)
                .where(RoleAssignment.role == Role.SUPERVISOR.value, User.enabled.is_(True))
                .order_by(RoleAssignment.user_id)
            )
        )
    )


def about(session: Session, item: WorkItem) -> notice_texts.About:
    row = TaskRow(item.id, item.case_id, item.unit_id, item.title, item.due_at)
    return notice_texts.about(session, [row])[item.id]


def notify(session: Session, user_ids: list[int], item: WorkItem, kind: str, text: str) -> int:
    already = set(
        session.scalars(
            select(Notification.user_id).where(
                Notification.work_item_id == item.id, Notification.kind == kind
            )
        )
    )
    fresh = [u for u in dict.fromkeys(user_ids) if u not in already]
    for user_id in fresh:
        session.add(
            Notification(
                user_id=user_id,
                kind=kind,
                text=text[:300],
                work_item_id=item.id,
                created_at=clock.now(),
            )
        )
    return len(fresh)


def for_new_work(session: Session, *case_ids: int, returned: bool = False, note: str = "") -> int:
    """Everyone who may work an open task of the cases hears of it once; how many notices."""
    return _new_work(session, case_ids, returned=returned, note=note, counted=True)


def tell_of_new_work(session: Session, case_id: int, *, returned: bool, note: str) -> None:
    """`for_new_work` for a completion, which does not count the notices: on PostgreSQL
    they then go with the next statement (core.sent_later)."""
    _new_work(session, (case_id,), returned=returned, note=note, counted=False)


def _new_work(
    session: Session, case_ids: tuple[int, ...], *, returned: bool, note: str, counted: bool
) -> int:
    kind = "returned" if returned else "assigned"
    verb = "被退回，请重新办理" if returned else "待您办理"
    if note:
        verb += f"（{note}）"
    items = _just_opened(session, case_ids)
    if items is None:
        found = session.execute(
            select(
                WorkItem.id,
                WorkItem.unit_id,
                WorkItem.role,
                WorkItem.title,
                WorkItem.case_id,
                WorkItem.due_at,
            ).where(
                WorkItem.case_id.in_(case_ids),
                WorkItem.state == WorkItemState.OPEN.value,
                ~exists().where(Notification.work_item_id == WorkItem.id),
            )
        ).tuples()
        items = list(found)
    # What each task is about (its record, unit, deadline): a few queries for the whole batch.
    texts = notice_texts.about(
        session, [TaskRow(i, case, unit, title, due) for i, unit, _, title, case, due in items]
    )
    told = [(i, unit, role) for i, unit, role, *_ in items]
    return _tell_holders(session, texts, told, kind, verb, few=True, counted=counted)


def _just_opened(
    session: Session, case_ids: tuple[int, ...]
) -> list[tuple[int, int | None, str, str, int, datetime | None]] | None:
    """A case's open tasks without a notice, when its step just opened them all (a completion
    then reads nothing: nobody can have heard of them); None when that is not known. Every
    case named is taken, so that a case told among several is not told again alone."""
    opened = [projection.opened_items(session, case_id) for case_id in case_ids]
    if len(opened) != 1 or opened[0] is None:
        return None
    return [(w.id, w.unit_id, w.role, w.title, w.case_id, w.due_at) for w in opened[0]]


def for_started_work(
    session: Session, started: Sequence[StartedCase], subjects: Mapping[int, str]
) -> int:
    """As for_new_work, for cases just started together (engine.batch_start) whose records
    the caller names (case id → subject, e.g. 问题 2026-QSZ-0001): their open tasks are known
    from starting them, and nobody has heard of them yet. Reading the tasks back cost an
    import a query per batch that PostgreSQL, whose statistics do not see the import's own
    rows, answered by reading every open task stored before it; reading their cases and
    records back to name them cost it a tenth of its time."""
    works = [(case.id, work) for case in started for work in case.waiting_on]
    unit_ids = {w.unit_id for _, w in works if w.unit_id is not None}
    units = dict(
        session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).tuples().all()
    )
    texts = {
        w.id: notice_texts.About(
            subjects[case_id], units.get(w.unit_id or 0, ""), w.title, w.due_at
        )
        for case_id, w in works
    }
    return _tell_holders(
        session, texts, [(w.id, w.unit_id, w.role) for _, w in works], "assigned", "待您办理"
    )


def _tell_holders(
    session: Session,
    texts: Mapping[int, notice_texts.About],
    items: list[tuple[int, int | None, str]],
    kind: str,
    verb: str,
    *,
    few: bool = False,
    counted: bool = True,
) -> int:
    """One notice per holder of each (work item, unit, role), inserted together; `texts`
    says what each item is about. `few`: the items are tasks of a step or two, stored where
    a statement sees them (not an import's). How many, unless not `counted` (then 0)."""
    now = clock.now()
    if few and len(items) <= _FEW and bulk.writes_in_place(session):
        return _tell_holders_at_once(session, texts, items, kind, verb, now, counted)
    holders = holders_of(session, {(unit_id, role) for _, unit_id, role in items})
    rows = []
    for item_id, unit_id, role in items:
        text = notice_texts.new_work(texts[item_id], verb)
        rows += [
            {
                "user_id": user_id,
                "kind": kind,
                "text": text,
                "work_item_id": item_id,
                "created_at": now,
            }
            for user_id in dict.fromkeys(holders[unit_id, role])
        ]
    bulk.insert_rows(session, Notification, rows)
    return len(rows)


_FEW = 8  # items whose notices one INSERT ... SELECT makes (more: a COPY of rows made here)


def _tell_holders_at_once(
    session: Session,
    texts: Mapping[int, notice_texts.About],
    items: list[tuple[int, int | None, str]],
    kind: str,
    verb: str,
    now: datetime,
    counted: bool,
) -> int:
    """As _tell_holders, for a few items (a completion's): the holders are found by the
    statement that inserts their notices."""
    told = [
        (item_id, unit_id, role)
        for item_id, unit_id, role in items
        if unit_id is not None  # a role is always held in a unit: nobody holds it elsewhere
    ]
    if not told:
        return 0
    params: dict[str, object] = {"kind": kind, "now": now}
    for n, (item_id, unit_id, role) in enumerate(told):
        params |= {
            f"text_{n}": notice_texts.new_work(texts[item_id], verb),
            f"item_{n}": item_id,
            f"unit_{n}": unit_id,
            f"role_{n}": role,
        }
    if not counted:
        sent_later.write_later(session, _notices_of(len(told), returning=False), params)
        return 0
    # Counted from RETURNING: the driver's row count of an INSERT ... SELECT is not kept
    # everywhere (-1 on PostgreSQL through the session).
    return len(session.execute(_notices_of(len(told), returning=True), params).all())


@cache
def _notices_of(count: int, *, returning: bool) -> Any:
    """The INSERT ... SELECT of the notices of `count` items, built once for each count (a
    completion's one or two: building it cost more than running it)."""
    made = [
        select(
            RoleAssignment.user_id,
            bindparam("kind", type_=String),
            bindparam(f"text_{n}", type_=String),
            bindparam(f"item_{n}", type_=Integer),
            bindparam("now", type_=UTCDateTime()),
        )
        .join(User)
        .where(
            RoleAssignment.unit_id == bindparam(f"unit_{n}", type_=Integer),
            RoleAssignment.role == bindparam(f"role_{n}", type_=String),
            User.enabled.is_(True),
            # Nobody is told of a task twice, whoever told them first.
            ~exists().where(
                Notification.work_item_id == bindparam(f"item_{n}", type_=Integer),
                Notification.user_id == RoleAssignment.user_id,
                Notification.kind == bindparam("kind", type_=String),
            ),
        )
        .distinct()
        for n in range(count)
    ]
    columns = ["user_id", "kind", "text", "work_item_id", "created_at"]
    source = made[0] if count == 1 else union_all(*made)
    table = cast(Table, Notification.__table__)  # a Core insert: its values are bound, not rows
    statement = insert(table).from_select(columns, source)
    return statement.returning(table.c.id) if returning else statement


def for_reassigned(
    session: Session, item: WorkItem, person_id: int, *, by: User, reason: str
) -> int:
    """The person a task was handed to hears of it, with who handed it over and why."""
    sender = by.full_name or by.username
    text = notice_texts.reassigned(about(session, item), sender, reason)
    sent = notify(session, [person_id], item, "reassigned", text)
    session.flush()
    return sent


def unread_count(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_all_read(session: Session, user: User) -> None:
    session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )


def assignees_and_heads(session: Session, item: WorkItem) -> tuple[list[int], list[int]]:
    """Who works a task (its claimant, else the holders of its role in its unit) and the
    heads (reviewers) of its unit."""
    pairs = {(item.unit_id, item.role), (item.unit_id, Role.REVIEWER.value)}
    holders = holders_of(session, pairs)
    workers = [item.claimed_by] if item.claimed_by else holders[item.unit_id, item.role]
    return list(workers), holders[item.unit_id, Role.REVIEWER.value]
