from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue
from marshmallow import fields

from campaign import case_starts, case_views, message_delivery, submissions
from web import db
from web.api import schemas as s
from web.api.blueprint import api_user, bp
from web.api.contract import Answer, declare
from web.api.keys import claim_key
from web.authz import allow
from web.common import HOST, found
from web.roles import ADMIN, WORKING_ROLES


class Wait(s.Schema):
    kind = s.Choice(["message", "timer", "signal"])
    step = fields.String()
    title = fields.String(allow_none=True)
    message = fields.String(metadata={"description": "消息名称（kind 为 message）"})
    key = fields.String(allow_none=True, metadata={"description": "关联键的值"})
    due_at = s.When(allow_none=True)
    signal = fields.String()


class OpenTask(s.Schema):
    id = fields.Integer()
    step = fields.String()
    title = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    unit_id = fields.Integer(allow_none=True)


class Case(s.Schema):
    id = fields.Integer(required=True)
    process = fields.String()
    version = fields.Integer()
    name = fields.String(allow_none=True)
    status = s.Choice(["running", "waiting", "completed", "error", "cancelled"])
    status_label = fields.String()
    started_by = fields.String(allow_none=True)
    started_at = s.When()
    completed_at = s.When(allow_none=True)
    error = fields.String(allow_none=True)
    subject = fields.Nested(s.Subject, allow_none=True)
    waiting_for = fields.List(fields.Nested(Wait), metadata={"description": "案件在等待什么"})
    open_tasks = fields.List(fields.Nested(OpenTask))
    history = fields.List(fields.Nested(s.HistoryEvent))


class Started(s.Schema):
    id = fields.Integer()
    process = fields.String()
    version = fields.Integer()
    status = fields.String()


class CaseStart(s.Body):
    process = s.Code(required=True, metadata={"description": "流程标识（流程 id）"})
    unit = s.Code(required=True, metadata={"description": "单位代码"})
    data = s.Object(
        allow_none=True, metadata={"description": "开始表单的内容，或无表单时的初始数据"}
    )


class Message(s.Body):
    name = s.Text(required=True, metadata={"description": "消息名称"})
    key = fields.Raw(allow_none=True, metadata={"description": "关联键（1 至 200 个字符的文本）"})
    data = s.Object(allow_none=True)
    unit = s.Code(load_default="", metadata={"description": "由消息启动的案件属于哪个单位"})


class Delivered(s.Schema):
    result = s.Choice(["delivered", "started"])
    message = fields.String()
    delivered = fields.List(fields.Integer())
    started = fields.List(fields.Integer())


def case_json(shown: case_views.CaseView) -> dict[str, Any]:
    case = shown.case
    return {
        "id": case.id,
        "process": case.definition.key,
        "version": case.definition.version,
        "name": case.definition.name,
        "status": case.status,
        "status_label": shown.status_label,
        "started_by": case.started_by,
        "started_at": case.started_at.isoformat(),
        "completed_at": case.completed_at.isoformat() if case.completed_at else None,
        "error": case.error_message or None,
        "subject": {"type": case.subject_type, "id": case.subject_id}
        if case.subject_type
        else None,
        "waiting_for": [w.to_json() for w in shown.waits],
        "open_tasks": [
            {"id": i.id, "step": i.bpmn_id, "title": i.title, "role": i.role, "unit_id": i.unit_id}
            for i in shown.open_items
        ],
        "history": [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "step": e.bpmn_id,
                "title": e.title,
                "actor": e.actor_name,
                "message": e.message,
            }
            for e in shown.history
        ],
    }


@bp.get("/cases/<int:case_id>")
@allow(*WORKING_ROLES, api=True)
@declare(
    "案件详情：状态、在等待什么（消息及关联键、定时器到期、信号）、待办、历史",
    {200: Answer("案件", Case)},
)
def get_case(case_id: int) -> ResponseReturnValue:
    return case_json(found(case_views.view(db.session(), api_user(), case_id)))


@bp.post("/cases")
@allow(*WORKING_ROLES, api=True)
@declare(
    "发起流程：以本人身份为某单位发起一个案件（须有开始事件所在泳道的角色）",
    {201: Answer("已发起；Location 指向案件", Started, headers=("Location",))},
    body=CaseStart,
    refusals=(403, 422),
    idempotent=True,
)
def start_case(body: dict[str, Any]) -> ResponseReturnValue:
    submission = claim_key()
    case = case_starts.start(
        db.session(),
        HOST,
        api_user(),
        body["process"],
        body["unit"],
        body.get("data"),
        source="api",
    )
    location = url_for("api.get_case", case_id=case.id)
    submissions.record(submission, f"已发起案件 #{case.id}。", location)
    answer = {
        "id": case.id,
        "process": case.definition.key,
        "version": case.definition.version,
        "status": case.status,
    }
    return answer, 201, {"Location": location}


@bp.post("/messages")
@allow(*WORKING_ROLES, ADMIN, api=True)
@declare(
    "从外部发送消息：送达以该关联键等待它的案件；无人等待时启动以它开始的流程",
    {
        200: Answer("已送达等待它的案件", Delivered),
        201: Answer("无人等待：已启动以它开始的流程", Delivered),
    },
    body=Message,
    refusals=(403, 422),
    idempotent=True,
)
def deliver_message(body: dict[str, Any]) -> ResponseReturnValue:
    submission = claim_key()
    done = message_delivery.deliver(
        db.session(),
        HOST,
        api_user(),
        body["name"],
        body.get("key"),
        body.get("data"),
        unit_code=body["unit"],
        source="api",
    )
    submissions.record(submission, done.describe())
    answer = {
        "result": "delivered" if done.delivered else "started",
        "message": done.describe(),
        "delivered": done.delivered,
        "started": done.started,
    }
    return answer, 200 if done.delivered else 201
