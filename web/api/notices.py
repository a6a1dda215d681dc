"""The caller's notifications (通知) on the API: newest first, and marking them read."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import fields, validate

from campaign import notice_board, notifications
from campaign.notifications import KIND_LABELS
from web import db
from web.api import schemas as s
from web.api.blueprint import api_user, bp
from web.api.contract import Answer, declare
from web.authz import allow

MOST = 100


class NoticeQuery(s.Query):
    limit = fields.Integer(
        load_default=MOST,
        validate=validate.Range(1, MOST, error=f"须为 1 至 {MOST} 之间的整数"),
        error_messages={"invalid": f"须为 1 至 {MOST} 之间的整数"},
        metadata={"description": f"最多几条（1 至 {MOST}），新的在前"},
    )


class Notice(s.Schema):
    id = fields.Integer()
    kind = fields.String()
    kind_label = fields.String()
    text = fields.String()
    task_id = fields.Integer(
        allow_none=True,
        metadata={"description": "通知所涉的待办任务，调用者可打开时；否则为 null"},
    )
    obligation_id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "调用者不能打开该任务、但可查看其所属报送事项时，报送事项的 id"
            "（GET /obligations/{id}）；否则为 null"
        },
    )
    created_at = s.When()
    read_at = s.When(allow_none=True)


class Notices(s.Schema):
    items = fields.List(fields.Nested(Notice))
    unread = fields.Integer()


class Unread(s.Schema):
    unread = fields.Integer()


@bp.get("/notifications")
@allow(api=True)
@declare("我的通知（新的在前）及未读数", {200: Answer("通知", Notices)}, query=NoticeQuery)
def list_notifications(query: dict[str, Any]) -> ResponseReturnValue:
    session = db.session()
    rows = notice_board.latest(session, api_user(), limit=query["limit"])
    # Where each notice leads, by the rule the 通知 page links by: a task the caller cannot
    # open is not named (its id answers 404 for him), its report is when he may see that.
    targets = notice_board.targets(session, api_user(), rows)
    return {
        "items": [
            {
                "id": n.id,
                "kind": n.kind,
                "kind_label": KIND_LABELS.get(n.kind, n.kind),
                "text": n.text,
                "task_id": _target_id(targets.get(n.id), "task"),
                "obligation_id": _target_id(targets.get(n.id), "obligation"),
                "created_at": n.created_at.isoformat(),
                "read_at": n.read_at.isoformat() if n.read_at else None,
            }
            for n in rows
        ],
        "unread": notifications.unread_count(session, api_user()),
    }


def _target_id(target: notice_board.Target | None, kind: str) -> int | None:
    return target.id if target is not None and target.kind == kind else None


@bp.post("/notifications/read")
@allow(api=True)
@declare("把我的通知全部标为已读", {200: Answer("未读数（0）", Unread)})
def read_notifications() -> ResponseReturnValue:
    notifications.mark_all_read(db.session(), api_user())
    return {"unread": notifications.unread_count(db.session(), api_user())}
