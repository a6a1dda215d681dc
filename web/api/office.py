"""The office's own flows on the API: 专项督办 (orders and each unit's part), 明察暗访, 问责 and
效果评估 (回访). Each list is the page's list, a page at a time, as the person sees it; each
start is the page's form as a JSON object, refused field by field as the page refuses it. The
tasks these flows give units and the office are done through /tasks like any other."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue
from marshmallow import fields

from campaign import accountability, evaluations, inspections, submissions, supervision
from campaign.current import chosen_campaign
from campaign.models import Accountability, Evaluation, Inspection, SupervisionPart
from campaign.models.accountability import ACCOUNTABILITY_STATUS_LABELS, CONDUCTS, MEASURES
from campaign.models.evaluations import METHODS, MONEY, SATISFACTION
from campaign.models.supervision import SUPERVISION_SOURCES
from campaign.org import unit_by_code
from core import paging
from web import db
from web.api import schemas as s
from web.api.blueprint import api_user, bp
from web.api.contract import Answer, declare
from web.api.keys import claim_key
from web.authz import allow
from web.common import HOST
from web.roles import SUPERVISOR, WORKING_ROLES

PER_PAGE = 50


class CampaignPaged(s.Paged):
    campaign = s.Code(load_default="", metadata={"description": "活动代码，默认进行中的活动"})


def _campaign_id(query: dict[str, Any]) -> int:
    return chosen_campaign(db.session(), query["campaign"]).id


def _page(query: dict[str, Any], listing: Any) -> paging.Page[Any]:
    """The page the query asks for of an ordered listing (50 rows unless it says)."""
    return paging.fetch(db.session(), listing, query["page"], query["per_page"] or PER_PAGE)


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class FormBody(s.Body):
    data = s.Object(required=True, metadata={"description": "表单各字段（与页面表单相同）"})


class PartQuery(CampaignPaged):
    state = s.Choice(list(supervision.STATES), load_default="")
    source = s.Choice(list(SUPERVISION_SOURCES), load_default="")
    unit = s.Code(load_default="", metadata={"description": "承办单位代码"})


class SupervisionPartRow(s.Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    number = fields.String(metadata={"description": "督办单编号，如 DB-2022-0001"})
    source = s.Choice(list(SUPERVISION_SOURCES))
    source_label = fields.String()
    summary = fields.String()
    unit = fields.String()
    unit_name = fields.String()
    deadline = s.Day()
    status = fields.String(metadata={"description": "feedback、review、closed"})
    overdue = fields.Boolean(metadata={"description": "反馈已逾期"})
    feedback = fields.String()
    fed_back_at = s.When(allow_none=True)
    returns = fields.Integer(metadata={"description": "被退回重办的次数"})
    closing_note = fields.String()
    closed_at = s.When(allow_none=True)
    case_id = fields.Integer(allow_none=True)


class IssuedOrder(s.Schema):
    id = fields.Integer()
    number = fields.String()
    parts = fields.List(fields.Nested(SupervisionPartRow))


def _part(part: SupervisionPart, late: set[int]) -> dict[str, Any]:
    order = part.supervision
    return {
        "id": part.id,
        "order_id": order.id,
        "number": order.number,
        "source": order.source,
        "source_label": SUPERVISION_SOURCES.get(order.source, order.source),
        "summary": order.summary,
        "unit": part.unit.code,
        "unit_name": part.unit.name,
        "deadline": part.deadline.isoformat(),
        "status": part.status,
        "overdue": part.id in late,
        "feedback": part.feedback,
        "fed_back_at": _when(part.fed_back_at),
        "returns": part.returns,
        "closing_note": part.closing_note,
        "closed_at": _when(part.closed_at),
        "case_id": part.case_id,
    }


@bp.get("/supervision/parts")
@allow(*WORKING_ROLES, api=True)
@declare(
    "专项督办：各承办单位的督办事项（新的在前，默认每页 50 项；单位只看本单位的）",
    {200: Answer("督办事项", s.page_of(SupervisionPartRow, "SupervisionPartPage"))},
    query=PartQuery,
)
def list_supervision_parts(query: dict[str, Any]) -> ResponseReturnValue:
    session = db.session()
    unit_id = unit_by_code(session, query["unit"]).id if query["unit"] else None
    listing = supervision.parts_query(
        session,
        api_user(),
        state=query["state"],
        source=query["source"],
        unit_id=unit_id,
        campaign_id=_campaign_id(query),
    )
    found = _page(query, listing)
    late = supervision.overdue_part_ids(session, found.items)
    return s.page_answer([_part(p, late) for p in found.items], found)


@bp.post("/supervision")
@allow(SUPERVISOR, api=True)
@declare(
    "下发督办单（领导小组办公室）：data 为 source、source_ref、summary、units（单位代码列表）、"
    "deadline；每个承办单位一项督办事项进入其待办",
    {201: Answer("已下发", IssuedOrder)},
    body=FormBody,
    refusals=(403, 409, 422),
    idempotent=True,
)
def issue_supervision(body: dict[str, Any]) -> ResponseReturnValue:
    submission = claim_key()
    order = supervision.issue(db.session(), HOST, api_user(), body["data"])
    location = url_for("api.list_supervision_parts")
    submissions.record(submission, f"督办单 {order.number} 已下发。", location)
    answer = {
        "id": order.id,
        "number": order.number,
        "parts": [_part(p, set()) for p in order.parts],
    }
    return answer, 201


class InspectionRow(s.Schema):
    id = fields.Integer()
    number = fields.String(metadata={"description": "暗访编号，如 AF-2022-001"})
    visited_on = s.Day()
    places = fields.String()
    team = fields.String()
    summary = fields.String()
    status = fields.String(metadata={"description": "recording（登记发现中）或 done"})
    problems = fields.List(fields.String(), metadata={"description": "发现的问题的台账编号"})
    case_id = fields.Integer(allow_none=True)


def _inspection(visit: Inspection) -> dict[str, Any]:
    return {
        "id": visit.id,
        "number": visit.number,
        "visited_on": visit.visited_on.isoformat(),
        "places": visit.places,
        "team": visit.team,
        "summary": visit.summary,
        "status": visit.status,
        "problems": [f.problem.number for f in visit.findings],
        "case_id": visit.case_id,
    }


@bp.get("/inspections")
@allow(SUPERVISOR, api=True)
@declare(
    "明察暗访（领导小组办公室）：新的在前，默认每页 50 次",
    {200: Answer("明察暗访", s.page_of(InspectionRow, "InspectionPage"))},
    query=CampaignPaged,
    refusals=(403,),
)
def list_inspections(query: dict[str, Any]) -> ResponseReturnValue:
    found = _page(query, inspections.listed_query(db.session(), _campaign_id(query)))
    return s.page_answer([_inspection(v) for v in found.items], found)


@bp.post("/inspections")
@allow(SUPERVISOR, api=True)
@declare(
    "登记一次明察暗访（领导小组办公室）：data 为 visited_on、places、team；"
    "发现的问题在其待办“登记暗访发现”中逐条登记",
    {201: Answer("已登记", InspectionRow)},
    body=FormBody,
    refusals=(403, 422),
    idempotent=True,
)
def start_inspection(body: dict[str, Any]) -> ResponseReturnValue:
    submission = claim_key()
    visit = inspections.start(db.session(), HOST, api_user(), body["data"])
    submissions.record(submission, f"暗访 {visit.number} 已登记。", url_for("api.list_inspections"))
    return _inspection(visit), 201


class AccountabilityQuery(CampaignPaged):
    status = s.Choice(list(ACCOUNTABILITY_STATUS_LABELS), load_default="")


class AccountabilityRow(s.Schema):
    id = fields.Integer()
    number = fields.String(metadata={"description": "问责编号，如 WZ-2022-001"})
    unit = fields.String()
    unit_name = fields.String()
    person_name = fields.String(metadata={"description": "被问责人；对单位问责的为空"})
    person_post = fields.String()
    conduct = s.Choice(list(CONDUCTS))
    conduct_label = fields.String()
    measure = s.Choice(list(MEASURES))
    measure_label = fields.String()
    grounds = fields.String()
    grounds_items = fields.List(
        fields.String(), metadata={"description": "依据的逾期事项和被退回的报告"}
    )
    status = s.Choice(list(ACCOUNTABILITY_STATUS_LABELS))
    status_label = fields.String()
    opinion = fields.String()
    unit_response = fields.String()
    proposed_at = s.When()
    decided_at = s.When(allow_none=True)
    case_id = fields.Integer(allow_none=True)


def _decision(decision: Accountability) -> dict[str, Any]:
    return {
        "id": decision.id,
        "number": decision.number,
        "unit": decision.unit.code,
        "unit_name": decision.unit.name,
        "person_name": decision.person_name,
        "person_post": decision.person_post,
        "conduct": decision.conduct,
        "conduct_label": CONDUCTS.get(decision.conduct, decision.conduct),
        "measure": decision.measure,
        "measure_label": MEASURES.get(decision.measure, decision.measure),
        "grounds": decision.grounds,
        "grounds_items": [g.described for g in decision.grounds_items],
        "status": decision.status,
        "status_label": ACCOUNTABILITY_STATUS_LABELS.get(decision.status, decision.status),
        "opinion": decision.opinion,
        "unit_response": decision.unit_response,
        "proposed_at": _when(decision.proposed_at),
        "decided_at": _when(decision.decided_at),
        "case_id": decision.case_id,
    }


@bp.get("/accountability")
@allow(*WORKING_ROLES, api=True)
@declare(
    "问责：新的在前，默认每页 50 项（单位只看已作出的、关于本单位的决定）",
    {200: Answer("问责", s.page_of(AccountabilityRow, "AccountabilityPage"))},
    query=AccountabilityQuery,
)
def list_accountability(query: dict[str, Any]) -> ResponseReturnValue:
    listing = accountability.listed_query(
        db.session(), api_user(), query["status"], campaign_id=_campaign_id(query)
    )
    found = _page(query, listing)
    return s.page_answer([_decision(d) for d in found.items], found)


@bp.post("/accountability")
@allow(SUPERVISOR, api=True)
@declare(
    "提出问责建议（领导小组办公室）：data 为 unit、person_name、person_post、conduct、measure、"
    "grounds、overdue_items（待办编号列表）、returned_reports（报告编号列表）",
    {201: Answer("已提出", AccountabilityRow)},
    body=FormBody,
    refusals=(403, 422),
    idempotent=True,
)
def propose_accountability(body: dict[str, Any]) -> ResponseReturnValue:
    submission = claim_key()
    decision = accountability.propose(db.session(), HOST, api_user(), body["data"])
    location = url_for("api.list_accountability")
    submissions.record(submission, f"问责建议 {decision.number} 已提出。", location)
    return _decision(decision), 201


class EvaluationQuery(CampaignPaged):
    status = s.Choice(["visiting", "overdue", "done"], load_default="")
    satisfaction = s.Choice(list(SATISFACTION), load_default="")
    money = s.Choice(list(MONEY), load_default="")


class EvaluationRow(s.Schema):
    id = fields.Integer()
    problem = fields.String(metadata={"description": "问题台账编号"})
    problem_id = fields.Integer()
    unit = fields.String(metadata={"description": "回访单位代码"})
    unit_name = fields.String()
    method = s.Choice(list(METHODS))
    method_label = fields.String()
    due_on = s.Day()
    status = fields.String(metadata={"description": "visiting（待回访）或 done"})
    visited_on = s.Day(allow_none=True)
    satisfaction = fields.String(metadata={"description": "满意度，未回访时为空"})
    money = fields.String(metadata={"description": "资金是否到账，未回访时为空"})
    note = fields.String()
    case_id = fields.Integer(allow_none=True)


class EvaluationRequest(FormBody):
    problem_id = s.RowId(required=True, metadata={"description": "已销号问题的编号（id）"})


def _evaluation(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "id": evaluation.id,
        "problem": evaluation.problem.number,
        "problem_id": evaluation.problem_id,
        "unit": evaluation.unit.code,
        "unit_name": evaluation.unit.name,
        "method": evaluation.method,
        "method_label": METHODS.get(evaluation.method, evaluation.method),
        "due_on": evaluation.due_on.isoformat(),
        "status": evaluation.status,
        "visited_on": _when(evaluation.visited_on),
        "satisfaction": evaluation.satisfaction,
        "money": evaluation.money,
        "note": evaluation.note,
        "case_id": evaluation.case_id,
    }


@bp.get("/evaluations")
@allow(*WORKING_ROLES, api=True)
@declare(
    "效果评估（回访、入户调查、问卷调查）：新的在前，默认每页 50 项（单位只看本单位的）",
    {200: Answer("效果评估", s.page_of(EvaluationRow, "EvaluationPage"))},
    query=EvaluationQuery,
)
def list_evaluations(query: dict[str, Any]) -> ResponseReturnValue:
    session = db.session()
    listing = evaluations.listed_query(
        session,
        api_user(),
        status=query["status"],
        satisfaction=query["satisfaction"],
        money=query["money"],
        campaign_id=_campaign_id(query),
    )
    found = _page(query, listing)
    return s.page_answer([_evaluation(e) for e in found.items], found)


@bp.post("/evaluations")
@allow(SUPERVISOR, api=True)
@declare(
    "对已销号的问题安排回访（领导小组办公室）：problem_id，data 为 method、due_on",
    {201: Answer("已安排", EvaluationRow)},
    body=EvaluationRequest,
    refusals=(403, 409, 422),
    idempotent=True,
)
def request_evaluation(body: dict[str, Any]) -> ResponseReturnValue:
    submission = claim_key()
    evaluation = evaluations.request_visit(
        db.session(), HOST, api_user(), body["problem_id"], body["data"]
    )
    location = url_for("api.list_evaluations")
    submissions.record(submission, f"问题 {evaluation.problem.number} 已安排回访。", location)
    return _evaluation(evaluation), 201
