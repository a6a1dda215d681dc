"""Running one engine operation as one transaction, the way every boundary needs it.

When SpiffWorkflow fails inside the operation, the transaction rolls back whole and the case
is marked as in error in a second, separate transaction, so the failure is visible and the
stored state stays the last good one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from core.db import Database
from engine import cases
from engine.errors import CaseFailed

P = ParamSpec("P")
T = TypeVar("T")


def in_transaction(
    database: Database,
    operation: Callable[Concatenate[Session, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    try:
        with database.transaction() as session:
            return operation(session, *args, **kwargs)
    except CaseFailed as failure:
        if failure.case_id is not None:
            with database.transaction() as session:
                cases.mark_error(session, failure.case_id, failure.message)
        raise
