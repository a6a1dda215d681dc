"""The ledger on the API: register a problem (which starts its lifecycle), list and read
entries; deploying process definitions; the public disclosures; the document itself."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import fields
from sqlalchemy import select

from campaign import deployment, disclosures, ledger_queries, problems, submissions, visibility
from campaign.current import chosen_campaign
from campaign.models import Problem
from core.errors import MalformedRequest
from engine.models import ProcessDefinition
from web import db
from web.api import schemas as s
from web.api.blueprint import api_user, bp
from web.api.contract import Answer, declare, json_object
from web.api.keys import claim_key
from web.authz import allow
from web.common import HOST, found
from web.roles import ADMIN, WORKING_ROLES


class ProblemQuery(s.Paged):
    q = s.Text(limit=100, load_default="")
    status = s.Code(load_default="")
    unit = s.Code(load_default="")
    village = s.Code(load_default="")
    programme = s.Code(load_default="")
    category = s.Code(load_default="")
    overdue = s.Choice(["0", "1"], load_default="0", metadata={"description": "1：只看逾期的"})
    campaign = s.Code(load_default="", metadata={"description": "活动代码，默认进行中的活动"})


class Registration(s.Body):
    unit = s.Code(required=True, metadata={"description": "登记单位代码，如 QSZ"})
    data = s.Object(
        required=True,
        metadata={
            "description": "source, village, programme, focus_item, stat_category, description, "
            "amount（元）, cards, households, persons, involved_names, discovered_on"
        },
    )


class Registered(s.Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    case_id = fields.Integer(allow_none=True)


class Definition(s.Schema):
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    sha256 = fields.String()
    deployed_by = fields.String(allow_none=True)
    deployed_at = s.When()


class DeployedItem(s.Schema):
    kind = fields.String(metadata={"enum": ["process", "decision"]})
    key = fields.String()
    version = fields.Integer()
    created = fields.Boolean()


class Deployed(s.Schema):
    """The first process deployed (or, with none, the first decision), and every one."""

    key = fields.String()
    version = fields.Integer()
    created = fields.Boolean()
    deployed = fields.List(fields.Nested(DeployedItem))


MAX_FILES = 20
DEPLOY_FILE = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "content": {"type": "string", "minLength": 1},
    },
    "required": ["name", "content"],
}


class DisclosureQuery(s.Paged):
    township = s.Code(load_default="")
    programme = s.Code(load_default="")


class Disclosure(s.Schema):
    number = fields.String()
    township = fields.String()
    village = fields.String(metadata={"description": "村名；无村时为空字符串"})
    programme = fields.String()
    category = fields.String()
    amount_yuan = fields.String(metadata={"description": "金额，元"})
    status = fields.String()
    rectified_on = fields.String()
    published_on = fields.String()
    text = fields.String(metadata={"description": "公示内容，个人信息已屏蔽"})


ProblemPage = s.page_of(s.Problem, "ProblemPage")
Definitions = s.items_of(Definition, "Definitions")


def problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "id": problem.id,
        "number": problem.number,
        "case_id": problem.case_id,
        "unit": problem.unit.code,
        "village": problem.village.code if problem.village else None,
        "source": problem.source,
        "programme": problem.programme.code,
        "focus_item": problem.focus_item.code,
        "stat_category": problem.stat_category.code,
        "description": problem.description,
        "amount_fen": problem.amount_fen,
        "cards": problem.cards,
        "households": problem.households,
        "persons": problem.persons,
        "discovered_on": problem.discovered_on.isoformat(),
        "status": problem.status,
        "status_label": problem.status_label,
        "responsible_unit": problem.responsible_unit.code if problem.responsible_unit else None,
        "deadline": problem.deadline.isoformat() if problem.deadline else None,
        "recovered_fen": problem.recovered_fen,
        "returned_fen": problem.returned_fen,
        "rectified_on": problem.rectified_on.isoformat() if problem.rectified_on else None,
        "counted": problem.counted,
        "void_reason": problem.void_reason or None,
        "voided_at": problem.voided_at.isoformat() if problem.voided_at else None,
        "closed_at": problem.closed_at.isoformat() if problem.closed_at else None,
    }


@bp.get("/problems")
@allow(*WORKING_ROLES, api=True)
@declare(
    "问题台账（本人可见范围，默认每页 30 条）",
    {200: Answer("问题", ProblemPage)},
    query=ProblemQuery,
)
def list_problems(query: dict[str, Any]) -> ResponseReturnValue:
    filters = ledger_queries.LedgerFilters(
        unit=query["unit"],
        village=query["village"],
        programme=query["programme"],
        category=query["category"],
        status=query["status"],
        overdue=query["overdue"] == "1",
        q=query["q"].strip(),
        campaign_id=chosen_campaign(db.session(), query["campaign"]).id,
    )
    found_page = ledger_queries.page(
        db.session(),
        api_user(),
        filters,
        query["page"],
        query["per_page"] or ledger_queries.PER_PAGE,
        load=ledger_queries.WHOLE_ROWS,
    )
    return s.page_answer([problem_json(p) for p in found_page.items], found_page)


@bp.get("/problems/<int:problem_id>")
@allow(*WORKING_ROLES, api=True)
@declare("一个问题及其全部办理记录", {200: Answer("问题", s.ProblemDetail)})
def get_problem(problem_id: int) -> ResponseReturnValue:
    problem = found(db.session().get(Problem, problem_id))
    if not visibility.may_see_problem(db.session(), api_user(), problem):
        found(None)
    history = [
        {
            "at": e.at.isoformat(),
            "kind": e.kind,
            "step": e.bpmn_id,
            "title": e.title,
            "actor": e.actor_name,
            "message": e.message,
        }
        for e in problems.history(db.session(), problem)
    ]
    return problem_json(problem) | {"history": history}


@bp.post("/problems")
@allow(*WORKING_ROLES, api=True)
@declare(
    "登记发现的问题并启动整改流程",
    {201: Answer("已登记；Location 指向问题", Registered, headers=("Location",))},
    body=Registration,
    refusals=(403, 422),
    idempotent=True,
)
def create_problem(body: dict[str, Any]) -> ResponseReturnValue:
    submission = claim_key()
    problem = problems.register(db.session(), HOST, api_user(), body["unit"], body["data"])
    location = url_for("api.get_problem", problem_id=problem.id)
    submissions.record(submission, f"已登记问题 {problem.number}。", location)
    answer = {"id": problem.id, "number": problem.number, "case_id": problem.case_id}
    return answer, 201, {"Location": location}


@bp.get("/process-definitions")
@allow(ADMIN, api=True)
@declare("流程定义的全部版本（管理员）", {200: Answer("版本", Definitions)})
def list_definitions() -> ResponseReturnValue:
    rows = db.session().scalars(
        select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)
    )
    return {
        "items": [
            {
                "key": d.key,
                "version": d.version,
                "name": d.name,
                "sha256": d.sha256,
                "deployed_by": d.deployed_by,
                "deployed_at": d.deployed_at.isoformat(),
            }
            for d in rows
        ]
    }


@bp.post("/process-definitions")
@allow(ADMIN, api=True)
@declare(
    "部署流程定义（管理员）：一个 BPMN，或 BPMN 与 DMN 文件一起（files）；"
    "同一内容再次部署不产生新版本（200）；任一文件有误则全部不部署（422）",
    {201: Answer("新版本", Deployed), 200: Answer("内容未变化，返回最新版本", Deployed)},
    refusals=(422,),
    extra_body={
        "application/xml": {"schema": {"type": "string"}},
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "xml": {"type": "string", "minLength": 1},
                    "files": {
                        "type": "array",
                        "items": DEPLOY_FILE,
                        "minItems": 1,
                        "maxItems": MAX_FILES,
                    },
                },
                "anyOf": [{"required": ["xml"]}, {"required": ["files"]}],
            }
        },
    },
)
def create_definition() -> ResponseReturnValue:
    files: list[tuple[str, bytes | str]] = []
    if request.mimetype in ("application/xml", "text/xml"):
        # bytes: the engine reads the encoding its prolog declares
        files.append(("diagram.bpmn", request.get_data()))
    else:
        body = json_object()
        if "xml" in body:
            files.append(("diagram.bpmn", body["xml"]))
        if "files" in body:
            files += _files(body["files"])
    if not files or any(not isinstance(x, (str, bytes)) or not x.strip() for _, x in files):
        raise MalformedRequest(
            '请以 application/xml 提交 BPMN，或提交 {"xml": "..."} '
            '或 {"files": [{"name": "a.bpmn", "content": "..."}, ...]}'
        )
    deployed = deployment.deploy_files(db.session(), HOST, files, by=api_user(), source="api")
    processes = [d for d in deployed if d.kind == "process"]
    first = (processes or deployed)[0]
    answer = {
        "key": first.key,
        "version": first.version,
        "created": first.created,
        "deployed": [
            {"kind": d.kind, "key": d.key, "version": d.version, "created": d.created}
            for d in deployed
        ],
    }
    return answer, 201 if any(d.created for d in deployed) else 200


def _files(given: Any) -> list[tuple[str, bytes | str]]:
    """The files of a JSON deployment, as its schema describes them."""
    wrong = MalformedRequest(
        f'files 须为 1 到 {MAX_FILES} 个 {{"name": "文件名", "content": "文件内容"}}'
    )
    if not isinstance(given, list) or not 1 <= len(given) <= MAX_FILES:
        raise wrong
    files: list[tuple[str, bytes | str]] = []
    for item in given:
        if not isinstance(item, dict):
            raise wrong
        name, content = item.get("name"), item.get("content")
        if not isinstance(name, str) or not 1 <= len(name) <= 200:
            raise wrong
        if not isinstance(content, str) or not content:
            raise wrong
        files.append((name, content))
    return files


@bp.get("/public/disclosures.json")
@allow(public=True)
@declare(
    "公开公示（无需令牌，个人信息已在服务器端屏蔽；默认每页 20 条）",
    {200: Answer("公示", s.page_of(Disclosure, "DisclosurePage"))},
    query=DisclosureQuery,
    public=True,
)
def public_disclosures(query: dict[str, Any]) -> ResponseReturnValue:
    found_page = disclosures.search(
        db.session(),
        township=query["township"],
        programme=query["programme"],
        page=query["page"],
        per_page=query["per_page"] or disclosures.PER_PAGE,
    )
    return s.page_answer([d.to_json() for d in found_page.items], found_page)


@bp.get("/openapi.json")
@allow(public=True)
@declare("本文档（OpenAPI 3.1）", {200: Answer("OpenAPI 文档")}, public=True)
def openapi() -> ResponseReturnValue:
    from web.api.openapi import document

    return jsonify(document(current_app))
