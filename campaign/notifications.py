"""Telling people about work: who gets a notice when a task appears, comes back, or is late."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session

from campaign.models import Notification, RoleAssignment, User
from campaign.models.accounts import Role
from core import bulk, clock
from engine import workitems
from engine.batch_start import StartedCase
from engine.models import WorkItem, WorkItemState

KIND_LABELS = {
    "assigned": "新待办",
    "returned": "被退回",
    "overdue": "已逾期",
    "reassigned": "转派",
}


def _holders(session: Session, unit_id: int | None, role: str) -> list[int]:
    return _holders_of(session, {(unit_id, role)})[unit_id, role]


def _holders_of(
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


def _notify(session: Session, user_ids: list[int], item: WorkItem, kind: str, text: str) -> int:
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
    """Everyone who may work an open task of the cases hears of it once."""
    kind = "returned" if returned else "assigned"
    verb = "被退回，请重新办理" if returned else "待您办理"
    if note:
        verb += f"（{note}）"
    items = session.execute(
        select(WorkItem.id, WorkItem.unit_id, WorkItem.role, WorkItem.title).where(
            WorkItem.case_id.in_(case_ids),
            WorkItem.state == WorkItemState.OPEN.value,
            ~exists().where(Notification.work_item_id == WorkItem.id),
        )
    ).all()
    return _tell_holders(session, [tuple(item) for item in items], kind, verb)


def for_started_work(session: Session, started: Sequence[StartedCase]) -> int:
    """As for_new_work, for cases just started together (engine.batch_start): their open
    tasks are known from starting them, and nobody has heard of them yet. Reading them
    back cost an import a query per batch that PostgreSQL, whose statistics do not see
    the import's own rows, answered by reading every open task stored before it."""
    items = [
        (work.id, work.unit_id, work.role, work.title)
        for case in started
        for work in case.waiting_on
    ]
    return _tell_holders(session, items, "assigned", "待您办理")


def _tell_holders(
    session: Session, items: list[tuple[int, int | None, str, str]], kind: str, verb: str
) -> int:
    """One notice per holder of each (work item, unit, role, title), inserted together."""
    holders = _holders_of(session, {(unit_id, role) for _, unit_id, role, _ in items})
    now = clock.now()
    rows = []
    for item_id, unit_id, role, title in items:
        rows += [
            {
                "user_id": user_id,
                "kind": kind,
                "text": f"{title}：{verb}"[:300],
                "work_item_id": item_id,
                "created_at": now,
            }
            for user_id in dict.fromkeys(holders[unit_id, role])
        ]
    bulk.insert_rows(session, Notification, rows)
    return len(rows)


def for_reassigned(
    session: Session, item: WorkItem, person_id: int, *, by: User, reason: str
) -> int:
    """The person a task was handed to hears of it, with who handed it over and why."""
    sender = by.full_name or by.username
    sent = _notify(
        session, [person_id], item, "reassigned", f"{item.title}：{sender}转派给您（{reason}）"
    )
    session.flush()
    return sent


def for_overdue(session: Session) -> int:
    """Late tasks: the unit's head (reviewer) and the leading group office are told once."""
    now = clock.now()
    late = session.scalars(
        select(WorkItem)
        .where(
            workitems.overdue(now),
            ~exists().where(
                and_(Notification.work_item_id == WorkItem.id, Notification.kind == "overdue")
            ),
        )
        .limit(1000)
    )
    supervisors = list(
        session.scalars(
            select(RoleAssignment.user_id).where(RoleAssignment.role == Role.SUPERVISOR.value)
        )
    )
    sent = 0
    for item in late:
        heads = _holders(session, item.unit_id, Role.REVIEWER.value)
        sent += _notify(
            session, heads + supervisors, item, "overdue", f"{item.title}：已超过办理期限"
        )
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


def recent(session: Session, user: User, limit: int = 100) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_all_read(session: Session, user: User) -> None:
    session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    )
