"""A task's version, so a client that read a task can tell it changed before acting on it:
a digest of what claiming, handing back, 转派 and completing change. The API gives it as
the task's `version` and ETag; an action sent with an older one (If-Match) is refused."""

from __future__ import annotations

import hashlib

from core.errors import Conflict
from engine.models import WorkItem


class StaleTask(Conflict):
    """The task changed since the version the client names (412 Precondition Failed)."""

    status = 412


def version_of(item: WorkItem) -> str:
    parts = (
        item.id,
        item.state,
        item.claimed_by,
        item.completed_by,
        item.unit_id,
        item.role,
        item.due_at.isoformat() if item.due_at else "",
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def require_version(item: WorkItem, expected: str | None) -> None:
    """Refuses when the client names a version that is no longer the task's. Without one
    (no If-Match), the action's own checks (claimed by another, already done) still hold."""
    if expected is None:
        return
    wanted = {tag.strip().removeprefix("W/").strip('"') for tag in expected.split(",")}
    if "*" in wanted or version_of(item) in wanted:
        return
    raise StaleTask("任务已被他人改动（版本已过期），请重新读取后再办理")
