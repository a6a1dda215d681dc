"""Registering ledger entries, one from a form or a hundred thousand from a sheet, the same way.

Registration takes the checked form values of each entry and makes, for every one: its
number (per year of registration and unit, gap-free), the entry's columns, its lifecycle case
(started from one template when the diagram allows, engine.batch_start), its status as the problem's
rule derives it from the case, the notifications to whoever must review it, and its audit record.
`problems.register` is this for one entry; the Excel import is this for all its rows, so an
entry comes out the same whichever way it arrived."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, audit_chain, notifications, numbering
from campaign.actors import actor_for
from campaign.models import (
    AuditEvent,
    Campaign,
    FocusItem,
    Problem,
    Programme,
    StatCategory,
    Unit,
    User,
)
from campaign.problem_status import PROCESS_KEY, status_for
from core import bulk, clock
from core.staging import Staging, staging_of
from core.write_behind import writing_behind
from engine.batch_start import NewCase, start_cases
from engine.host import CaseContext, EngineHost
from engine.models import Case, CaseEvent, Timer, WorkItem

# Rows stored together. Each batch costs a lifecycle run for its template, a few queries and
# a statement per table; 2,000 rows hold about 10 MB of case states at a time (500 cost
# about a tenth more CPU time, client and server, for 20,000 rows).
BATCH = 2000
# rows done, rows in all
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Registration:
    """One entry to register: the unit whose ledger gets it, the clean values of the
    register form, and the responsibility proposed with it (a sheet may name one; the
    reviewer decides in 审核)."""

    unit: str
    data: Mapping[str, Any]
    responsible_unit: str | None = None
    responsible_person: str = ""
    deadline: date | None = None
    source: str = ""  # how it arrived, for the audit record: "web", "api", "import"


def number_for(year: int, unit_code: str, value: int) -> str:
    """2022-QSZ-0001: the year the entry was registered, its unit, and its place in that
    year's series of the unit (gap-free; shared by the campaigns of that year, so a number
    names one entry whichever campaign it belongs to)."""
    return f"{year}-{unit_code}-{value:04d}"


def registration_year() -> int:
    """The year of registration, by the local calendar (a problem registered on 1 January
    local time belongs to the new year although it is still 31 December in UTC)."""
    return clock.local_now().year


def _quiet(done: int, total: int) -> None:
    pass


def register_many(
    session: Session,
    host: EngineHost,
    user: User,
    campaign: Campaign,
    entries: Sequence[Registration],
    progress: Progress = _quiet,
) -> list[tuple[int, str]]:
    """Register checked entries; returns each one's (id, number), in order. The caller has
    checked the person may register for each entry's unit. On PostgreSQL the rows are
    written behind (core.write_behind): the server stores a batch while the next is built.
    When the session stages its rows (core.staging, SQLite), the numbers are taken and the
    audit records linked when the staged rows are copied in: the entries' ids and numbers
    are written into their cases' data, so they must not move (`fixed`)."""
    if (staging := staging_of(session)) is not None:
        staging.fixed.add(Problem.__tablename__)
        staging.held.add((Problem.__tablename__, "number"))  # others may take it meanwhile
    with _planned_with_values(session), writing_behind(session):
        return _register_many(session, host, user, campaign, entries, progress)


@contextmanager
def _planned_with_values(session: Session) -> Iterator[None]:
    """On PostgreSQL, the driver sends the statements unprepared while registering.

    psycopg prepares a statement it has run five times, and PostgreSQL soon gives a prepared
    statement a generic plan made from the statistics the tables had before this transaction
    (nearly empty on a new system): when cases start one by one (a diagram that
    engine.batch_start cannot start together) each then costs more than the last (500 rows
    took 2.7 s at first, 9.7 s by row 8,000). Unprepared, each is planned with its values.

    `SET LOCAL plan_cache_mode = force_custom_plan` did that before, but for the server's
    own prepared statements too: the checks of each foreign key and the audit log's
    insert-order trigger were planned again for every row inserted. The server's CPU time
    for 20,000 imported rows went from 17.2 s to 7.1 s without it (with the work items no
    longer read back, engine.batch_start)."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    driver = session.connection().connection.driver_connection
    assert driver is not None
    threshold = driver.prepare_threshold
    driver.prepare_threshold = None
    try:
        yield
    finally:
        driver.prepare_threshold = threshold


def _register_many(
    session: Session,
    host: EngineHost,
    user: User,
    campaign: Campaign,
    entries: Sequence[Registration],
    progress: Progress,
) -> list[tuple[int, str]]:
    # Imported here: the registry imports the services that register (problems).
    from campaign.records import KINDS

    problem_kind = KINDS["problem"]
    numbers = _numbers(session, entries)
    ids = _CodeIds.load(session, campaign, entries)
    actor = actor_for(user)
    now = clock.now()
    made: list[tuple[int, str]] = []
    registered: list[tuple[Registration, str]] = []
    progress(0, len(entries))
    for start in range(0, len(entries), BATCH):
        batch = entries[start : start + BATCH]
        batch_numbers = numbers[start : start + BATCH]
        # The cases name their entries, the entries their cases: the entries' ids are
        # taken first, the cases started, then the entries inserted complete (no UPDATE).
        problem_ids = bulk.reserve_ids(session, Problem, len(batch))
        started = start_cases(
            session,
            host,
            PROCESS_KEY,
            [
                NewCase(
                    data=case_data(entry, problem_id, number),
                    context=CaseContext(
                        owning_unit_id=ids.units[entry.unit],
                        subject_type="problem",
                        subject_id=problem_id,
                    ),
                )
                for entry, problem_id, number in zip(batch, problem_ids, batch_numbers, strict=True)
            ],
            actor=actor,
        )
        case_ids = [case.id for case in started]
        statuses = [
            status_for(case.status, [work.bpmn_id for work in case.waiting_on]).value
            for case in started
        ]
        bulk.insert_rows(
            session,
            Problem,
            [
                _columns(entry, ids, campaign, user, now)
                | {"id": problem_id, "number": number, "case_id": case_id, "status": status}
                for entry, problem_id, number, case_id, status in zip(
                    batch, problem_ids, batch_numbers, case_ids, statuses, strict=True
                )
            ],
        )
        notifications.for_started_work(
            session,
            started,
            {
                case.id: problem_kind.name_for(number)
                for case, number in zip(started, batch_numbers, strict=True)
            },
        )
        registered += zip(batch, batch_numbers, strict=True)
        session.flush()
        if len(entries) > 1:
            _forget_engine_rows(session, set(case_ids))
        made += zip(problem_ids, batch_numbers, strict=True)
        progress(start + len(batch), len(entries))
    if (staging := staging_of(session)) is not None:
        # Made now, linked into the chain by the copy's last transaction (it holds the lock).
        rows = _audit_rows(user, now, registered)
        prepared = audit_chain.prepare(rows)
        staging.finish.append(lambda target: _record_prepared(target, rows, prepared))
    else:
        _record(session, user, now, registered)
    return made


def _record(
    session: Session, user: User, now: datetime, registered: list[tuple[Registration, str]]
) -> None:
    """The audit records of the registrations, linked into the chain after the last batch:
    the chain's lock is held from the first linked record to the commit, and other
    requests' records must not wait for a whole import. Made a batch at a time, as the
    entries, so that they are not all held at once."""
    for start in range(0, len(registered), BATCH):
        rows = _audit_rows(user, now, registered[start : start + BATCH])
        bulk.insert_rows(session, AuditEvent, audit.chained(session, rows))


def _audit_rows(
    user: User, now: datetime, registered: list[tuple[Registration, str]]
) -> list[dict[str, Any]]:
    return [
        audit.event_values(
            "problem.register",
            actor=user,
            target=f"problem:{number}",
            source=entry.source,
            at=now,
            unit=entry.unit,
        )
        for entry, number in registered
    ]


def _record_prepared(
    session: Session, rows: list[dict[str, Any]], prepared: list[audit_chain.Prepared]
) -> None:
    audit_chain.link_prepared(session, rows, prepared)
    for start in range(0, len(rows), BATCH):
        bulk.insert_rows(session, AuditEvent, rows[start : start + BATCH])


def case_data(entry: Registration, problem_id: int, number: str) -> dict[str, Any]:
    """What the lifecycle starts with: the registration, and any responsibility proposed,
    under the review form's field names so that the review form shows it."""
    data: dict[str, Any] = {**entry.data, "problem_id": problem_id, "problem_number": number}
    if entry.responsible_unit:
        data["responsible_unit"] = entry.responsible_unit
    if entry.responsible_person:
        data["responsible_person"] = entry.responsible_person
    if entry.deadline:
        data["deadline"] = entry.deadline.isoformat()
    return data


def _numbers(session: Session, entries: Sequence[Registration]) -> list[str]:
    """The numbers of each unit's entries are taken in one step, in the entries' order,
    in the series of the year of registration (not the campaign's first year: a problem
    registered in 2026 is numbered 2026-…)."""
    year = registration_year()
    by_unit: dict[str, list[int]] = {}
    for index, entry in enumerate(entries):
        by_unit.setdefault(entry.unit, []).append(index)
    numbers = [""] * len(entries)
    for unit_code, indexes in sorted(by_unit.items()):
        scope = f"problem:{year}:{unit_code}"
        first = _first_number(session, scope, len(indexes), staging_of(session))
        for offset, index in enumerate(indexes):
            numbers[index] = number_for(year, unit_code, first + offset)
    return numbers


def _first_number(session: Session, scope: str, count: int, staging: Staging | None) -> int:
    if staging is None:
        return numbering.reserve(session, scope, count)
    return numbering.planned(session, scope, count, staging)


@dataclass(frozen=True)
class _CodeIds:
    """The ids behind the codes the entries name, looked up once for all of them."""

    units: dict[str, int]
    programmes: dict[str, int]
    focus_items: dict[str, int]
    categories: dict[str, int]

    @classmethod
    def load(
        cls, session: Session, campaign: Campaign, entries: Sequence[Registration]
    ) -> _CodeIds:
        units = {e.unit for e in entries} | {e.responsible_unit or "" for e in entries}
        units |= {e.data.get("village") or "" for e in entries}

        def ids(model: type[Any], codes: set[str], **where: Any) -> dict[str, int]:
            query = select(model.code, model.id).where(model.code.in_(sorted(codes - {""})))
            for name, value in where.items():
                query = query.where(getattr(model, name) == value)
            return {code: ident for code, ident in session.execute(query)}

        return cls(
            ids(Unit, units),
            ids(Programme, {e.data["programme"] for e in entries}, campaign_id=campaign.id),
            ids(FocusItem, {e.data["focus_item"] for e in entries}),
            ids(StatCategory, {e.data["stat_category"] for e in entries}),
        )


def _columns(
    entry: Registration, ids: _CodeIds, campaign: Campaign, user: User, now: datetime
) -> dict[str, Any]:
    data = entry.data
    village = data.get("village")
    return {
        "campaign_id": campaign.id,
        "unit_id": ids.units[entry.unit],
        "village_id": ids.units[village] if village else None,
        "source": data["source"],
        "programme_id": ids.programmes[data["programme"]],
        "focus_item_id": ids.focus_items[data["focus_item"]],
        "stat_category_id": ids.categories[data["stat_category"]],
        "description": data["description"],
        "amount_fen": data.get("amount") or 0,
        "cards": data.get("cards") or 0,
        "households": data.get("households") or 0,
        "persons": data.get("persons") or 0,
        "involved_names": data.get("involved_names") or "",
        "discovered_on": date.fromisoformat(data["discovered_on"]),
        "responsible_unit_id": ids.units[entry.responsible_unit]
        if entry.responsible_unit
        else None,
        "responsible_person": entry.responsible_person,
        "deadline": entry.deadline,
        "registered_by": user.id,
        "registered_at": now,
    }


def _forget_engine_rows(session: Session, case_ids: set[int]) -> None:
    """A case holds its serialized workflow: keeping a hundred thousand of them in the
    session would take gigabytes. Flushed engine rows of this batch are let go."""
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, Case) and obj.id in case_ids) or (
            isinstance(obj, (WorkItem, CaseEvent, Timer)) and obj.case_id in case_ids
        ):
            session.expunge(obj)
