from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from campaign import inbox, records, tasks
from core.errors import MalformedRequest
from engine.models import Case, WorkItem
from forms import registry
from web import db
from web.api.blueprint import api_user, bp
from web.authz import allow
from web.common import HOST, found, page_arg
from web.roles import WORKING_ROLES


def task_json(item: WorkItem, with_form: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.id,
        "case_id": item.case_id,
        "step": item.bpmn_id,
        "title": item.title,
        "form_key": item.form_key,
        "unit_id": item.unit_id,
        "role": item.role,
        "state": item.state,
        "claimed_by": item.claimed_by,
        "due_at": item.due_at.isoformat() if item.due_at else None,
        "created_at": item.created_at.isoformat(),
    }
    if with_form:
        form = registry.get(item.form_key)
        out["form"] = form.to_json() if form else None
    return out


def _visible(item_id: int) -> WorkItem:
    item = found(db.session().get(WorkItem, item_id))
    if not records.may_see_case(db.session(), api_user(), item.case_id):
        found(None)
    return item


@bp.get("/tasks")
@allow(*WORKING_ROLES, api=True)
def list_tasks() -> ResponseReturnValue:
    tab = request.args.get("tab", "open")
    page = inbox.page(
        db.session(),
        api_user(),
        tab,
        inbox.InboxFilters.from_args(request.args),
        page_arg(),
    )
    return jsonify(
        {
            "items": [task_json(r.item) | {"subject": r.subject} for r in page.rows],
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
        }
    )


@bp.get("/tasks/<int:item_id>")
@allow(*WORKING_ROLES, api=True)
def get_task(item_id: int) -> ResponseReturnValue:
    item = _visible(item_id)
    case = found(db.session().get(Case, item.case_id))
    return jsonify(
        task_json(item, with_form=True)
        | {
            "process": case.definition.key,
            "subject": {"type": case.subject_type, "id": case.subject_id},
        }
    )


@bp.post("/tasks/<int:item_id>/claim")
@allow(*WORKING_ROLES, api=True)
def claim_task(item_id: int) -> ResponseReturnValue:
    _visible(item_id)
    item = tasks.claim(db.session(), HOST, api_user(), item_id)
    return jsonify(task_json(item))


@bp.post("/tasks/<int:item_id>/complete")
@allow(*WORKING_ROLES, api=True)
def complete_task(item_id: int) -> ResponseReturnValue:
    _visible(item_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise MalformedRequest('请求体须为 {"data": {...}}')
    session = db.session()
    done = tasks.complete(session, HOST, api_user(), item_id, body["data"])
    next_items = session.scalars(
        select(WorkItem).where(WorkItem.case_id == done.case.id, WorkItem.state == "open")
    ).all()
    return jsonify(
        {
            "task": task_json(done.item),
            "case_status": done.case.status,
            "next": [task_json(i) for i in next_items],
        }
    )
