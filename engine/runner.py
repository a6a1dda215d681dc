"""The one place where a unit of work meets a failing case.

Every boundary (a web or API request, a CLI command, a scheduler job) commits only when its
work succeeded and rolls it back otherwise. When the failure was a case that could not run
(CaseFailed), the case is then marked in error in a transaction of its own, so the failure
is visible to administrators and the stored state stays the last good one; the other cases
of the same unit of work go on."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from core.db import Database
from engine import cases
from engine.errors import CaseFailed
from engine.host import EngineHost

P = ParamSpec("P")
T = TypeVar("T")
log = logging.getLogger(__name__)


def record_failure(database: Database, host: EngineHost, failure: CaseFailed) -> None:
    """Mark the failed case in error, after the failed work was rolled back."""
    if failure.case_id is None:  # the case was never stored: nothing to mark
        return
    try:
        with database.transaction() as session:
            cases.mark_error(session, host, failure.case_id, failure.message)
    except Exception:  # the original failure is what the caller reports
        log.exception("could not mark case %s in error", failure.case_id)


@contextmanager
def unit_of_work(database: Database, host: EngineHost) -> Iterator[Session]:
    """A transaction that commits on success, rolls back on any exception, and marks a case
    that failed to run in error."""
    try:
        with database.transaction() as session:
            yield session
    except CaseFailed as failure:
        record_failure(database, host, failure)
        raise


def in_transaction(
    database: Database,
    host: EngineHost,
    operation: Callable[Concatenate[Session, EngineHost, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run one engine operation as its own unit of work."""
    with unit_of_work(database, host) as session:
        return operation(session, host, *args, **kwargs)
