"""The 数据比对 page: the 疑点 with filters and pages (people masked), running a comparison
with its progress, and each rule's hit rate. For the leading group office and the
administrator; a township works its 疑点 in its inbox (the 核实 cases)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from campaign import choices, submissions
from campaign.comparison import disclosure, rules, runs
from campaign.comparison.protection import KeyFile
from campaign.comparison.run import list_discrepancies
from campaign.comparison.verification import STATUS_LABELS
from campaign.models import ComparisonRun
from core.errors import AppError
from core.paging import Page
from engine.host import CaseContext
from web import db, errors, once
from web.authz import allow
from web.campaign_choice import chosen_id
from web.common import data_dir, me, page_arg
from web.roles import ADMIN, SUPERVISOR

bp = Blueprint("comparison", __name__, url_prefix="/comparison")

PER_PAGE = 50
FILTERS = ("rule", "programme", "period", "township", "status")


@bp.get("")
@allow(SUPERVISOR, ADMIN)
def index() -> ResponseReturnValue:
    return _page()


def _page(run_typed: dict[str, str] | None = None, run_refusal: str = "") -> ResponseReturnValue:
    """The page; a refused run shows again with what was typed and why (status 422)."""
    session = db.session()
    args = {name: request.args.get(name, "").strip()[:32] for name in FILTERS}
    refusal = ""
    found: Page[Any] = Page([], 0, 1, PER_PAGE)
    try:
        found = list_discrepancies(
            session,
            KeyFile.for_data_dir(data_dir()),
            programme_code=args["programme"] or None,
            period=args["period"] or None,
            rule_code=args["rule"] or None,
            township_code=args["township"] or None,
            status=args["status"] or None,
            page=page_arg(),
            per_page=PER_PAGE,
            campaign_id=chosen_id(),
        )
    except AppError as refused:
        refusal = str(refused)
    context = CaseContext()
    run = runs.latest(session, chosen_id())
    return render_template(
        "comparison/index.html",
        found=found,
        args={k: v for k, v in args.items() if v},
        values=args,
        refusal=refusal,
        rules=rules.all_rules(session),
        rates=disclosure.hit_rates(session),
        programmes=choices.options(session, "programmes", context, {}),
        townships=choices.options(session, "townships", context, {}),
        statuses=STATUS_LABELS,
        run=_progress(session, run) if run is not None else None,
        may_run=runs.may_run(me()),
        run_typed=run_typed or {},
        run_refusal=run_refusal,
    ), 422 if refusal or run_refusal else 200


@bp.post("/runs")
@allow(SUPERVISOR, ADMIN)
def queue() -> Response:
    back = url_for("comparison.index") + "#run"
    typed = {
        "programme": request.form.get("programme", "").strip()[:32],
        "period": request.form.get("period", "").strip()[:16],
    }
    errors.on_refusal(lambda error: _page(typed, f"未运行：{error}"))
    submission = once.claim()
    run = runs.queue(
        db.session(),
        me(),
        programme_code=typed["programme"] or None,
        period=typed["period"] or None,
    )
    submissions.record(submission, f"已提交第 {run.id} 次比对。", back)
    flash(f"已提交第 {run.id} 次比对，将逐条规则运行，本页显示进度", "success")
    return redirect(back)


@bp.get("/runs/latest")
@allow(SUPERVISOR, ADMIN)
def latest() -> ResponseReturnValue:
    """The latest run's progress, for the page to poll while it runs."""
    session = db.session()
    run = runs.latest(session)
    return jsonify(_progress(session, run) if run is not None else {})


def _progress(session: Any, run: ComparisonRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "status_label": runs.STATUS_LABELS.get(run.status, run.status),
        "scope": runs.scope_label(session, run),
        "done": run.rules_done,
        "total": run.rules_total,
        "percent": round(100 * run.rules_done / run.rules_total) if run.rules_total else 0,
        "current": run.current_rule,
        "raised": run.raised,
        "cases": run.cases_started,
        "message": run.message,
        "finished": run.status in (runs.DONE, runs.FAILED),
    }
