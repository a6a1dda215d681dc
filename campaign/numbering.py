"""Gap-free numbers per scope, safe under concurrent transactions: the counter row is
incremented with one UPDATE ... RETURNING, which the database serialises."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign.models import NumberCounter
from core.staging import Staging, Stale


def next_value(session: Session, scope: str) -> int:
    return reserve(session, scope, 1)


def reserve(session: Session, scope: str, count: int) -> int:
    """Take `count` consecutive numbers of a scope at once; returns the first."""
    if session.scalar(select(NumberCounter.last).where(NumberCounter.scope == scope)) is None:
        try:
            with session.begin_nested():
                session.add(NumberCounter(scope=scope, last=0))
        except IntegrityError:  # created meanwhile by another transaction
            pass
    value = session.scalar(
        update(NumberCounter)
        .where(NumberCounter.scope == scope)
        .values(last=NumberCounter.last + count)
        .returning(NumberCounter.last)
    )
    assert value is not None
    return value - count + 1


def planned(session: Session, scope: str, count: int, staging: Staging) -> int:
    """`count` consecutive numbers of a scope for rows being staged (core.staging): the
    first is read from the snapshot; the copy checks that no one took a number of the
    scope meanwhile (else it is refused as stale) and takes them in its transaction."""
    seen = session.scalar(select(NumberCounter.last).where(NumberCounter.scope == scope)) or 0

    def unchanged(target: Session) -> None:
        now = target.scalar(select(NumberCounter.last).where(NumberCounter.scope == scope)) or 0
        if now != seen:
            raise Stale(f"numbers of {scope}: {now - seen} taken meanwhile")

    def take(target: Session) -> None:
        unchanged(target)  # again: the rows may have been copied in parts meanwhile
        first = reserve(target, scope, count)
        assert first == seen + 1, (scope, first, seen)

    staging.checks.append(unchanged)
    staging.finish.append(take)
    return seen + 1
