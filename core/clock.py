"""The one source of the current time.

Everything that asks "what time is it" (deadlines, timers, lockouts, idle sessions) calls
`now()`, so tests can move time for the whole product at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def local_now() -> datetime:
    return now().astimezone(LOCAL_TZ)


def advance(delta: timedelta) -> None:
    """Move the clock forward (tests and demos)."""
    global _offset, _frozen
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset += delta


def freeze(at: datetime) -> None:
    global _frozen
    if at.tzinfo is None:
        raise ValueError("freeze() needs a timezone-aware datetime")
    _frozen = at.astimezone(UTC)


def reset() -> None:
    global _offset, _frozen
    _offset = timedelta(0)
    _frozen = None


@contextmanager
def frozen_at(at: datetime) -> Iterator[None]:
    freeze(at)
    try:
        yield
    finally:
        reset()
