from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from campaign import audit, disclosures, ledger_queries, problems, submissions, visibility
from campaign.errors import CampaignError
from campaign.models import Problem
from campaign.submissions import AlreadySubmitted
from engine import definitions
from engine.errors import DeploymentRefused, NotAllowed
from engine.host import FormInvalid
from engine.models import ProcessDefinition
from web import db
from web.api.blueprint import api_user, bp, error
from web.api.openapi import SPEC
from web.authz import allow
from web.common import HOST, found
from web.roles import ADMIN, WORKING_ROLES


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
    }


@bp.get("/problems")
@allow(*WORKING_ROLES, api=True)
def list_problems() -> ResponseReturnValue:
    filters = ledger_queries.LedgerFilters.from_args(request.args)
    page = request.args.get("page", 1, type=int)
    rows, total = ledger_queries.page(db.session(), api_user(), filters, page)
    return jsonify({"items": [problem_json(p) for p in rows], "total": total, "page": page})


@bp.get("/problems/<int:problem_id>")
@allow(*WORKING_ROLES, api=True)
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
    return jsonify(problem_json(problem) | {"history": history})


@bp.post("/problems")
@allow(*WORKING_ROLES, api=True)
def create_problem() -> ResponseReturnValue:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        return error(400, '请求体须为 {"unit": "单位代码", "data": {...}}')
    session = db.session()
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= submissions.KEY_LIMIT:
        return error(400, f"Idempotency-Key 须为 1 至 {submissions.KEY_LIMIT} 个字符")
    try:
        token = submissions.key_token(api_user(), key) if key is not None else None
        submission = submissions.claim(session, api_user(), token)
        problem = problems.register(
            session, HOST, api_user(), str(body.get("unit", "")), body["data"]
        )
    except AlreadySubmitted as repeat:
        session.rollback()
        return error(409, str(repeat), location=repeat.location)
    except FormInvalid as invalid:
        session.rollback()
        return error(422, "表单校验未通过", fields=invalid.errors)
    except NotAllowed as refused:
        session.rollback()
        return error(403, str(refused))
    except CampaignError as refused:
        session.rollback()
        return error(422, str(refused), fields={"unit": str(refused)})
    location = url_for("api.get_problem", problem_id=problem.id)
    submissions.record(submission, f"已登记问题 {problem.number}。", location)
    answer = {"id": problem.id, "number": problem.number, "case_id": problem.case_id}
    return jsonify(answer), 201, {"Location": location}


@bp.get("/process-definitions")
@allow(ADMIN, api=True)
def list_definitions() -> ResponseReturnValue:
    rows = db.session().scalars(
        select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)
    )
    return jsonify(
        {
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
    )


@bp.post("/process-definitions")
@allow(ADMIN, api=True)
def create_definition() -> ResponseReturnValue:
    xml = (
        request.get_data(as_text=True)
        if request.mimetype in ("application/xml", "text/xml")
        else (request.get_json(silent=True) or {}).get("xml")
    )
    if not isinstance(xml, str) or not xml.strip():
        return error(400, '请以 application/xml 提交 BPMN，或提交 {"xml": "..."}')
    session = db.session()
    try:
        definition, created = definitions.deploy(
            session, xml, HOST, deployed_by=api_user().username
        )
    except DeploymentRefused as refused:
        session.rollback()
        return error(
            422,
            "流程定义有误，未部署",
            problems=[{"element_id": p.element_id, "message": p.message} for p in refused.problems],
        )
    audit.record(
        session,
        "definition.deploy",
        actor=api_user(),
        target=f"definition:{definition.key}",
        version=definition.version,
    )
    return jsonify({"key": definition.key, "version": definition.version, "created": created}), (
        201 if created else 200
    )


@bp.get("/public/disclosures.json")
@allow(public=True)
def public_disclosures() -> ResponseReturnValue:
    rows, total = disclosures.search(
        db.session(),
        township=request.args.get("township", ""),
        programme=request.args.get("programme", ""),
        page=request.args.get("page", 1, type=int),
    )
    return jsonify({"items": [d.to_json() for d in rows], "total": total})


@bp.get("/openapi.json")
@allow(public=True)
def openapi() -> ResponseReturnValue:
    return jsonify(SPEC)
