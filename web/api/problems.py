from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from campaign import deployment, disclosures, ledger_queries, problems, submissions, visibility
from campaign.models import Problem
from core.errors import MalformedRequest
from engine.models import ProcessDefinition
from web import db
from web.api.blueprint import api_user, bp
from web.api.openapi import SPEC
from web.authz import allow
from web.common import HOST, found, page_arg
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
def list_problems() -> ResponseReturnValue:
    filters = ledger_queries.LedgerFilters.from_args(request.args)
    found = ledger_queries.page(db.session(), api_user(), filters, page_arg())
    return jsonify(
        {
            "items": [problem_json(p) for p in found.items],
            "total": found.total,
            "page": found.number,
            "pages": found.pages,
        }
    )


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
        raise MalformedRequest('请求体须为 {"unit": "单位代码", "data": {...}}')
    session = db.session()
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= submissions.KEY_LIMIT:
        raise MalformedRequest(f"Idempotency-Key 须为 1 至 {submissions.KEY_LIMIT} 个字符")
    token = submissions.key_token(api_user(), key) if key is not None else None
    submission = submissions.claim(session, api_user(), token)
    problem = problems.register(session, HOST, api_user(), str(body.get("unit", "")), body["data"])
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
        request.get_data()  # bytes: the engine reads the encoding its XML prolog declares
        if request.mimetype in ("application/xml", "text/xml")
        else (request.get_json(silent=True) or {}).get("xml")
    )
    if not isinstance(xml, (str, bytes)) or not xml.strip():
        raise MalformedRequest('请以 application/xml 提交 BPMN，或提交 {"xml": "..."}')
    definition, created = deployment.deploy(db.session(), HOST, xml, by=api_user(), source="api")
    return jsonify({"key": definition.key, "version": definition.version, "created": created}), (
        201 if created else 200
    )


@bp.get("/public/disclosures.json")
@allow(public=True)
def public_disclosures() -> ResponseReturnValue:
    found = disclosures.search(
        db.session(),
        township=request.args.get("township", "")[:32],
        programme=request.args.get("programme", "")[:32],
        page=page_arg(),
    )
    return jsonify(
        {
            "items": [d.to_json() for d in found.items],
            "total": found.total,
            "page": found.number,
            "pages": found.pages,
        }
    )


@bp.get("/openapi.json")
@allow(public=True)
def openapi() -> ResponseReturnValue:
    return jsonify(SPEC)
