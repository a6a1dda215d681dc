"""Writing the audit record. Every security-relevant and data-changing action calls `record`."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from campaign.models import AuditEvent, User
from core import clock

SYSTEM_ACTOR = "系统"


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    actor_name: str | None = None,
    target: str = "",
    success: bool = True,
    source: str = "",
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(
        at=clock.now(),  # when it happened, not when the session happens to flush
        actor_id=actor.id if actor is not None else None,
        actor_name=actor_name or (actor.username if actor is not None else SYSTEM_ACTOR),
        action=action,
        target=target,
        success=success,
        source=source,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
        if detail
        else "",
    )
    session.add(event)
    return event
