"""Which cases belong to a campaign: those whose record (campaign.records) does. The engine's
cases know nothing of campaigns; the monitor asks through this, so that an ended campaign's
open work is neither counted in nor listed with the next one's, and the services that change
a case (a task done, claimed, handed on, a file or a comment added) refuse one whose record
belongs to an ended campaign (read-only)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    event,
    exists,
    false,
    inspect,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, SessionTransaction, contains_eager
from sqlalchemy.orm.util import identity_key

from campaign import current, records
from campaign.models import Campaign, Problem, Supervision, SupervisionPart, User
from campaign.records import KINDS
from engine import case_locks
from engine.models import Case, WorkItem


def _campaign_of_subject(name: str) -> tuple[Select[tuple[int]], Any]:
    """The campaign of the case's record of this kind (correlated to Case.subject_id, and to
    Case alone: a query around it may join the ledger's own tables): the record's own
    campaign_id, or that of the record it belongs to."""
    if name == "supervision_part":
        return (
            select(Supervision.campaign_id)
            .join(SupervisionPart, SupervisionPart.supervision_id == Supervision.id)
            .where(SupervisionPart.id == Case.subject_id)
            .correlate(Case)
        ), Supervision.campaign_id
    model = KINDS[name].model
    found = select(model.campaign_id).where(model.id == Case.subject_id).correlate(Case)
    return found, model.campaign_id


def _cases_of(campaign_id: int, in_progress: bool) -> ColumnElement[bool]:
    """A filter on Case: its record belongs to the campaign (one index look-up per case). A
    case of no known record (none today) counts with the campaign in progress."""
    clauses = []
    for name in KINDS:
        found, column = _campaign_of_subject(name)
        clauses.append(and_(Case.subject_type == name, exists(found.where(column == campaign_id))))
    if in_progress:
        clauses.append(Case.subject_type.not_in(list(KINDS)))
    return or_(false(), *clauses)


def case_in_campaign(session: Session, campaign_id: int) -> ColumnElement[bool]:
    """A filter on Case: its record belongs to the campaign."""
    return _cases_of(campaign_id, campaign_id == current.active_campaign(session).id)


def work_in_campaign(session: Session, campaign_id: int | None) -> ColumnElement[bool] | None:
    """A filter on the cases whose work a list shows for a campaign (None: the one in
    progress): its own cases, so that an ended campaign's open steps, which refuse being done,
    leave the inboxes of the next one. None when nothing is to be left out: the campaign in
    progress while no campaign has ended (a province's single campaign pays nothing). One
    statement (the campaigns, a handful of rows); callers build it once per list."""
    campaigns = session.execute(select(Campaign.id, Campaign.year, Campaign.active)).all()
    started = [c for c in campaigns if c.active]
    if not started:  # before `ykt init`: no campaign, nothing of one to leave out
        return None
    in_progress = max(started, key=lambda c: c.year)
    if campaign_id is None or campaign_id == in_progress.id:
        if not any(not c.active and c.year < in_progress.year for c in campaigns):
            return None
        return _cases_of(in_progress.id, in_progress=True)
    return _cases_of(campaign_id, in_progress=False)


# The record a step reads with the case's tasks after the lock (EngineHost.read_with_tasks):
# the ledger entry, which a completion takes up. Other cases have none; the join finds none.
READ_WITH_TASKS = Problem


def visible_item(
    session: Session, user: User, item_id: int, *, to_change: bool = False
) -> WorkItem | None:
    """The task with its case and process (one statement: they are what every caller reads
    next), when the person may see it (records.may_see_item); None otherwise, as for a task
    that does not exist. The same statement finds whether the case's ledger entry belongs
    to an ended campaign: a change to the task asks that next (ensure_case_open), and is
    then answered without a statement of its own (for a case of another record, the change
    asks by one of its own). For a change (`to_change`) the case is locked
    first and the statement also reads what the engine's step on the task reads after the
    lock (engine.case_locks.read_for_change), which then reads nothing again."""
    if to_change:
        locked = case_locks.read_for_change(
            session, item_id, with_record=READ_WITH_TASKS, columns=(_ended_of_entry(),)
        )
        found = None if locked is None else (locked.item, locked.columns[0])
    else:
        row = session.execute(_item_with_case(), {"item_id": item_id}).first()
        found = None if row is None else (row[0], row[1])
    if found is None:
        return None
    item, ended = found
    if not records.may_see_item(session, user, item):
        case_locks.drop_read(session)
        return None
    if ended is False:  # None: not known (a change to a case of another record than an entry)
        session.info[_FOUND_OPEN] = item.case
    return item


_FOUND_OPEN = "ykt.case_found_open"  # session.info: the case last found of no ended campaign


@cache
def _ended_of_entry() -> ColumnElement[bool | None]:
    """Whether the task's ledger entry (READ_WITH_TASKS, joined to the task's case by the
    statement) belongs to an ended campaign; NULL for a case of another record, which
    ensure_case_open then asks about over that record's own table (built once). Not a
    union over every kind of record: PostgreSQL took longer to plan that than to run the
    whole read it was part of."""
    entry_of_case = and_(Case.subject_type == "problem", READ_WITH_TASKS.id == Case.subject_id)
    ended = exists(current.ended_where(Campaign.id == READ_WITH_TASKS.campaign_id))
    return case((entry_of_case, ended), else_=null()).label("ended")


@cache
def _item_with_case() -> Select[tuple[WorkItem, bool | None]]:
    """visible_item's statement for a look (built once: building it costs more than running
    it). A change reads the same, its case locked first (engine.case_locks.read_for_change),
    with what the engine's step reads after the lock: the step then reads nothing again."""
    return (
        select(WorkItem, _ended_of_entry())
        .join(WorkItem.case)
        .outerjoin(READ_WITH_TASKS, READ_WITH_TASKS.case_id == Case.id)
        .where(WorkItem.id == bindparam("item_id"))
        .options(contains_eager(WorkItem.case).joinedload(Case.definition))
    )


def _found_open(session: Session, case_id: int) -> bool:
    """Whether visible_item found the case's record of no ended campaign in this transaction
    (what it found is forgotten when the transaction, or a savepoint in it, ends)."""
    case: Case | None = session.info.get(_FOUND_OPEN)
    return case is not None and case.id == case_id


@event.listens_for(Session, "after_transaction_end")
def _forget_found_open(session: Session, _transaction: SessionTransaction) -> None:
    session.info.pop(_FOUND_OPEN, None)


def ensure_case_open(session: Session, case_id: int) -> None:
    """Refuse a change to a case whose record belongs to an ended campaign: one statement,
    over its own kind's table when the session holds the case (a completion, a claim); none
    when visible_item has just answered it."""
    if _found_open(session, case_id):
        return
    case: Case | None = session.identity_map.get(identity_key(Case, case_id))
    if (
        case is not None
        and not {"subject_type", "subject_id"} & inspect(case).unloaded
        and case.subject_id is not None
    ):
        if case.subject_type not in KINDS:
            return  # a case of no known record: the campaign in progress's
        ended = _ended_of_record(case.subject_type)
        current.refuse_ended(session, ended, {"record_id": case.subject_id})
        return
    current.refuse_ended(session, _ended_of_any_case(), {"case_id": case_id})


@cache
def _ended_of_any_case() -> Select[tuple[Campaign]]:
    """The ended campaign of a case's record, over every kind (built once)."""
    case_id: BindParameter[int] = bindparam("case_id")
    of_each_kind = (
        _campaign_of_subject(name)[0].where(Case.id == case_id, Case.subject_type == name)
        for name in KINDS
    )
    return current.ended_where(Campaign.id.in_(union_all(*of_each_kind)))


@cache
def _ended_of_record(name: str) -> Select[tuple[Campaign]]:
    """The ended campaign of a record of this kind (built once per kind)."""
    return current.ended_where(Campaign.id.in_(_campaign_of_record(name, bindparam("record_id"))))


def _campaign_of_record(name: str, record_id: BindParameter[int]) -> Select[tuple[int]]:
    """The campaign of a record of this kind, by the record's id."""
    if name == "supervision_part":
        return (
            select(Supervision.campaign_id)
            .join(SupervisionPart, SupervisionPart.supervision_id == Supervision.id)
            .where(SupervisionPart.id == record_id)
        )
    model = KINDS[name].model
    return select(model.campaign_id).where(model.id == record_id)
