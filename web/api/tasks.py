"""The caller's work on the API: list, read (with a version and ETag), claim, hand back,
转派 with a reason, complete. Each rule is the service's (campaign.tasks, .reassignment)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from marshmallow import fields

from campaign import campaign_cases, inbox, reassignment, tasks
from campaign.current import chosen_campaign
from campaign.task_versions import require_version, version_of
from core.errors import NotAllowed
from engine.models import WorkItem
from forms import registry
from web import db
from web.api import schemas as s
from web.api.blueprint import api_user, bp
from web.api.contract import Answer, declare
from web.authz import allow
from web.common import HOST, found
from web.roles import WORKING_ROLES


class TaskQuery(s.Paged):
    tab = s.Choice(["open", "claimed", "overdue", "done"], load_default="open")
    q = s.Text(limit=100, load_default="")
    programme = s.Code(load_default="")
    category = s.Code(load_default="")
    village = s.Code(load_default="")
    due_before = s.DayAsked(load_default=None)
    campaign = s.Code(load_default="", metadata={"description": "活动代码，默认进行中的活动"})


class Completion(s.Body):
    data = s.Object(required=True, metadata={"description": "按表单定义填写（见任务的 form）"})


class Completed(s.Schema):
    task = fields.Nested(s.Task)
    case_status = fields.String()
    next = fields.List(fields.Nested(s.Task), metadata={"description": "本案件现在的待办"})


class Reassignment(s.Body):
    person_id = s.RowId(required=True, metadata={"description": "接办人（见 candidates）"})
    reason = s.Text(limit=reassignment.REASON_MAX, required=True)


class Person(s.Schema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String()


TaskPage = s.page_of(s.ListedTask, "TaskPage")
People = s.items_of(Person, "People")
TASK_HEADERS = ("ETag",)


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
        "version": version_of(item),
    }
    if with_form:
        form = registry.get(item.form_key)
        out["form"] = form.to_json() if form else None
    return out


def _visible(item_id: int, *, to_change: bool = False) -> WorkItem:
    return found(
        campaign_cases.visible_item(db.session(), api_user(), item_id, to_change=to_change)
    )


def _current(item_id: int) -> WorkItem:
    """The task, visible to the caller and still of the version If-Match names. Callers keep
    it (`_held`) while the service they call works on it: the session holds its rows weakly,
    and the task and its case read here are what the service reads first."""
    item = _visible(item_id, to_change=True)
    require_version(item, request.headers.get("If-Match"))
    return item


def _tagged(item: WorkItem) -> tuple[dict[str, Any], int, dict[str, str]]:
    return task_json(item), 200, {"ETag": f'"{version_of(item)}"'}


@bp.get("/tasks")
@allow(*WORKING_ROLES, api=True)
@declare(
    "我的待办（按办理期限排序，默认每页 30 条）", {200: Answer("待办", TaskPage)}, query=TaskQuery
)
def list_tasks(query: dict[str, Any]) -> ResponseReturnValue:
    filters = inbox.InboxFilters(
        query["programme"], query["category"], query["village"], query["due_before"], query["q"]
    )
    session = db.session()
    page = inbox.page(
        session,
        api_user(),
        query["tab"],
        filters,
        query["page"],
        query["per_page"] or inbox.PER_PAGE,
        campaign_id=chosen_campaign(session, query["campaign"]).id if query["campaign"] else None,
        with_counts=False,
        with_details=False,
    )
    return s.page_answer([task_json(r.item) | {"subject": r.subject} for r in page.rows], page)


@bp.get("/tasks/<int:item_id>")
@allow(*WORKING_ROLES, api=True)
@declare(
    "一个任务及其表单定义；ETag 为其版本",
    {200: Answer("任务", s.TaskDetail, headers=TASK_HEADERS)},
)
def get_task(item_id: int) -> ResponseReturnValue:
    item = _visible(item_id)
    case = item.case
    body = task_json(item, with_form=True) | {
        "process": case.definition.key,
        "subject": {"type": case.subject_type, "id": case.subject_id},
    }
    return body, 200, {"ETag": f'"{version_of(item)}"'}


@bp.post("/tasks/<int:item_id>/claim")
@allow(*WORKING_ROLES, api=True)
@declare(
    "认领任务",
    {200: Answer("已认领", s.Task, headers=TASK_HEADERS)},
    refusals=(409,),
    if_match=True,
)
def claim_task(item_id: int) -> ResponseReturnValue:
    _held = _current(item_id)
    return _tagged(tasks.claim(db.session(), HOST, api_user(), item_id))


@bp.post("/tasks/<int:item_id>/unclaim")
@allow(*WORKING_ROLES, api=True)
@declare(
    "退回认领：任务回到本单位的待办",
    {200: Answer("已退回", s.Task, headers=TASK_HEADERS)},
    refusals=(409,),
    if_match=True,
)
def unclaim_task(item_id: int) -> ResponseReturnValue:
    _held = _current(item_id)
    return _tagged(tasks.unclaim(db.session(), api_user(), item_id))


@bp.get("/tasks/<int:item_id>/candidates")
@allow(*WORKING_ROLES, api=True)
@declare(
    "可接办此任务的人（转派时选择）；无权转派时 403",
    {200: Answer("人员", People)},
    refusals=(403,),
)
def reassign_candidates(item_id: int) -> ResponseReturnValue:
    item = _visible(item_id)
    if not reassignment.may_reassign(api_user(), item):
        raise NotAllowed("只有本单位负责人或领导小组办公室可以转派任务")
    people = reassignment.candidates(db.session(), item)
    return {
        "items": [
            {"id": p.id, "username": p.username, "name": p.full_name or p.username} for p in people
        ]
    }


@bp.post("/tasks/<int:item_id>/reassign")
@allow(*WORKING_ROLES, api=True)
@declare(
    "转派：把本单位的待办交给指定的人，须填写理由",
    {200: Answer("已转派", s.Task, headers=TASK_HEADERS)},
    body=Reassignment,
    refusals=(403, 409, 422),
    if_match=True,
)
def reassign_task(item_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    _held = _current(item_id)
    item = reassignment.reassign(
        db.session(), HOST, api_user(), item_id, body["person_id"], body["reason"]
    )
    return _tagged(item)


@bp.post("/tasks/<int:item_id>/complete")
@allow(*WORKING_ROLES, api=True)
@declare(
    '办理任务：按表单提交；金额以元（"3600.50"），日期为 YYYY-MM-DD，附件为上传得到的编号',
    {200: Answer("已办理，返回本案件现在的待办", Completed)},
    body=Completion,
    refusals=(403, 409, 422),
    if_match=True,
)
def complete_task(item_id: int, body: dict[str, Any]) -> ResponseReturnValue:
    _held = _current(item_id)
    session = db.session()
    done = tasks.complete(session, HOST, api_user(), item_id, body["data"])
    next_items = tasks.open_after(session, done)
    return {
        "task": task_json(done.item),
        "case_status": done.case.status,
        "next": [task_json(i) for i in next_items],
    }
