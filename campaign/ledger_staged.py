"""The ledger import on SQLite without holding up other writers: built apart, copied in parts.

SQLite lets one transaction write at a time, for as long as it lasts. Imported in the
request's transaction, 100,000 rows held the write lock for about 50 s: every request that
wrote meanwhile (a task completed, a login) waited and failed with "database is locked".

Here the sheet is read with no transaction at all; the rows are checked and the entries
built (numbers, cases, work items, notices: campaign.registration, unchanged) in a
transaction that only reads, their rows going to temporary tables of the importing
connection (core.staging); then they are copied in in parts of about half a second each,
hidden from everyone until the last (core.staged_parts). The first part checks what they
were built on (the person may still register for each unit, no entry was registered and no
number of their series taken meanwhile); the last takes the numbers, links the audit
records into the chain, records the import and shows every row at once. Other writers wait
for one part at most.

All or nothing, for the importing person and everyone else: until the last transaction
commits no one sees anything of the import; a failure deletes the parts copied, and what a
killed process left is deleted by the next import (or the scheduler). When an entry was
registered meanwhile (the staged entries' ids and numbers are in their cases' data), the
build is done again; after `ATTEMPTS` such tries the import runs the old way, in one write
transaction, so it always ends.

On PostgreSQL the import runs in one transaction of its own, as before: writers there do
not wait for each other's transactions, and the audit chain's lock is taken only for the
audit records, at the end (campaign.registration)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from campaign import problems
from campaign.current import active_campaign
from campaign.ledger_import import (
    ImportResult,
    Progress,
    ReadSheet,
    check_rows,
    import_rows,
    read_sheet,
    record_import,
    store,
)
from campaign.models import Unit, User
from campaign.problem_status import PROCESS_KEY
from core.db import Database
from core.errors import NotAllowed, NotFound
from core.staged_parts import copy_in_parts, discard_abandoned, transaction
from core.staging import Staging, Stale
from engine.batch_start import can_start_together
from engine.host import EngineHost

# Builds tried before the import runs in one write transaction (each is refused only when
# someone registered an entry while it ran).
ATTEMPTS = 2
# What the caller adds to the import's write transaction (a web form's submission record).
Finish = Callable[[Session, ImportResult], None]


def _quiet(phase: str, done: int, total: int) -> None:
    pass


def _nothing(session: Session, result: ImportResult) -> None:
    pass


def import_staged(
    database: Database,
    host: EngineHost,
    user_id: int,
    source: str | Path | IO[bytes],
    *,
    progress: Progress = _quiet,
    finish: Finish = _nothing,
) -> ImportResult:
    """Import the sheet as `ledger_import.import_ledger` does (same checks, same result),
    in transactions of its own: on SQLite the parts of the copy and a last one that shows
    them, elsewhere one. `finish` runs in the last."""
    sheet = read_sheet(source, progress)
    if isinstance(sheet, ImportResult):
        return sheet
    with database.apart() as connection:
        staged = connection.dialect.name == "sqlite"
        joined = connection.in_transaction()  # a caller's transaction (tests): copied at once
        if staged and not joined:
            discard_abandoned(connection)  # what an import killed while copying left
        for _attempt in range(ATTEMPTS if staged else 0):
            staging = Staging()
            try:
                built = _build(connection, staging, host, user_id, sheet, progress)
                if built is None:
                    break  # the lifecycle cannot start its cases together: the old way
                if not built.ok:
                    return built
                _copy(connection, staging, user_id, built, progress, finish)
                return built
            except Stale:
                continue
            finally:
                if joined:
                    with transaction(connection, read_only=True) as session:
                        staging.drop(session)
                else:
                    # The staged tables go with the driver's connection, closed here: dropping
                    # them took seconds for 100,000 entries (a new one is opened if needed).
                    connection.invalidate()
        with transaction(connection) as session:
            result = import_rows(session, host, _person(session, user_id), sheet, progress=progress)
            if result.ok:
                finish(session, result)
            return result


def _build(
    connection: Connection,
    staging: Staging,
    host: EngineHost,
    user_id: int,
    sheet: ReadSheet,
    progress: Progress,
) -> ImportResult | None:
    """Check the rows and stage the entries, reading a snapshot of the database."""
    with transaction(connection, read_only=True) as session:
        if not can_start_together(session, PROCESS_KEY):
            return None
        user = _person(session, user_id)
        total = len(sheet.rows)
        progress("校验", 0, total)
        campaign = active_campaign(session)
        clean, errors = check_rows(session, user, campaign, sheet.rows)
        progress("校验", total, total)
        result = ImportResult(total, errors, ignored=list(sheet.ignored))
        if errors:
            return result
        staging.attach(session)
        result.created = store(session, host, user, campaign, clean, progress)
        assert not session.new and not session.dirty, "staged rows go through core.bulk only"
        units = {row.unit for row in clean}
        staging.checks.append(lambda target: _still_allowed(target, user_id, units))
        return result


def _copy(
    connection: Connection,
    staging: Staging,
    user_id: int,
    result: ImportResult,
    progress: Progress,
    finish: Finish,
) -> None:
    """Copy the staged rows in, in parts, and show them with the import's record and the
    caller's final work (core.staged_parts)."""

    def last(session: Session) -> None:
        user = _person(session, user_id)
        record_import(session, user, active_campaign(session), result)
        finish(session, result)

    copy_in_parts(
        connection, staging, last, progress=lambda done, total: progress("写入", done, total)
    )


def _still_allowed(session: Session, user_id: int, unit_codes: set[str]) -> None:
    """The person may still register for every unit of the sheet (their roles may have
    changed while the rows were built)."""
    user = _person(session, user_id)
    for unit in session.scalars(select(Unit).where(Unit.code.in_(sorted(unit_codes)))):
        if (refusal := problems.register_refusal(session, user, unit)) is not None:
            raise NotAllowed(refusal)


def _person(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    return user
