from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue

from campaign import case_starts, case_views, message_delivery, submissions
from campaign.models import FormSubmission
from core.errors import MalformedRequest
from web import db
from web.api import openapi_cases  # noqa: F401  (adds these routes to the description)
from web.api.blueprint import api_user, bp
from web.authz import allow
from web.common import HOST, found
from web.roles import ADMIN, WORKING_ROLES


def _submission() -> FormSubmission | None:
    """The Idempotency-Key of the request, claimed as POST /problems claims it."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= submissions.KEY_LIMIT:
        raise MalformedRequest(f"Idempotency-Key 须为 1 至 {submissions.KEY_LIMIT} 个字符")
    token = submissions.key_token(api_user(), key) if key is not None else None
    return submissions.claim(db.session(), api_user(), token)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise MalformedRequest("请求体须为 JSON 对象")
    return body


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
def get_case(case_id: int) -> ResponseReturnValue:
    return jsonify(case_json(found(case_views.view(db.session(), api_user(), case_id))))


@bp.post("/cases")
@allow(*WORKING_ROLES, api=True)
def start_case() -> ResponseReturnValue:
    body = _body()
    if not isinstance(body.get("process"), str) or not isinstance(body.get("unit"), str):
        raise MalformedRequest(
            '请求体须为 {"process": "流程标识", "unit": "单位代码", "data": {...}}'
        )
    submission = _submission()
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
    return jsonify(answer), 201, {"Location": location}


@bp.post("/messages")
@allow(*WORKING_ROLES, ADMIN, api=True)
def deliver_message() -> ResponseReturnValue:
    body = _body()
    submission = _submission()
    done = message_delivery.deliver(
        db.session(),
        HOST,
        api_user(),
        str(body.get("name") or ""),
        body.get("key"),
        body.get("data"),
        unit_code=str(body.get("unit") or ""),
        source="api",
    )
    submissions.record(submission, done.describe())
    answer = {
        "result": "delivered" if done.delivered else "started",
        "message": done.describe(),
        "delivered": done.delivered,
        "started": done.started,
    }
    return jsonify(answer), 200 if done.delivered else 201
