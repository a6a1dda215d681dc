"""Jinja filters: times in Beijing time, money from 分 to 元."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Flask

from campaign.tasks import decision_note
from core import clock
from core.paging import count_label


def local_datetime(value: datetime | None) -> str:
    return value.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def local_time(value: datetime | None) -> str:
    return value.astimezone(clock.LOCAL_TZ).strftime("%H:%M") if value else ""


def local_date(value: datetime | None) -> str:
    return value.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d") if value else ""


def yuan(fen: int | None) -> str:
    """分 to 元 with two decimals and thousands separators, exactly (no floats)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def event_note(event: Any) -> str:
    """What to show beside an event: its message, or the reason given with a decision."""
    if event.message:
        return str(event.message)
    try:
        data = json.loads(event.data) if event.data else {}
    except ValueError:
        return ""
    return decision_note(data) if isinstance(data, dict) else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        local_datetime=local_datetime,
        local_date=local_date,
        local_time=local_time,
        yuan=yuan,
        event_note=event_note,
        count_label=count_label,
    )

    @app.context_processor
    def _now() -> dict[str, Any]:
        return {
            "now_utc": clock.now(),
            "today": clock.local_now().date().isoformat(),
            "event_labels": EVENT_LABELS,
        }


EVENT_LABELS = {
    "started": "启动",
    "task_completed": "办理",
    "claimed": "认领",
    "unclaimed": "退回认领",
    "reassigned": "改派",
    "urged": "催办",
    "timer_fired": "期限届满",
    "migrated": "迁移到新版本",
    "error": "流程异常",
    "cancelled": "撤销",
    "completed": "结束",
    "message_received": "收到消息",
    "message_sent": "发出消息",
}
