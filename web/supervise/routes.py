from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from campaign import (
    accountability,
    campaigns,
    evaluations,
    inbox,
    inspections,
    key_checks,
    monitor,
    obligations,
    supervision,
    urging,
    village_visits,
)
from campaign.models import KeyCheck, Obligation, Unit
from campaign.models.accountability import ACCOUNTABILITY_STATUS_LABELS
from campaign.models.evaluations import MONEY, SATISFACTION
from campaign.models.org import UnitKind
from core import paging
from core.errors import MalformedRequest
from web import db, errors
from web.authz import allow
from web.campaign_choice import chosen, chosen_id
from web.common import HOST, LIST_PER_PAGE, me, page_arg
from web.roles import SUPERVISOR

bp = Blueprint("supervise", __name__, url_prefix="/supervise")


@bp.get("/")
@allow(SUPERVISOR)
def index() -> str:
    session = db.session()
    shown = chosen_id()
    ageing = monitor.overdue_by_unit(session, shown)
    chart = {
        "labels": [a.unit_name for a in ageing[:15]],
        "series": [
            {"label": label, "data": [a.counts[key] for a in ageing[:15]]}
            for key, label, *_ in monitor.BUCKETS
        ],
    }
    teams = list(
        session.scalars(
            select(Unit).where(Unit.kind == UnitKind.INSPECTION_TEAM.value).order_by(Unit.code)
        )
    )
    checks = {
        c.township_id: c
        for c in session.scalars(select(KeyCheck).where(KeyCheck.campaign_id == shown))
    }
    return render_template(
        "supervise/index.html",
        ageing=ageing,
        buckets=monitor.BUCKETS,
        chart=json.dumps(chart, ensure_ascii=False),
        scores=key_checks.propose(session, chosen()),
        unfiled=_by_unit(obligations.unfiled(session, "monthly_report", campaign_id=shown)),
        monthly_day=campaigns.monthly_report_day(session),
        teams=teams,
        checks=checks,
        coverage=village_visits.coverage(session, chosen()),
        orders=supervision.figures(session, shown),
        order_states=supervision.STATES,
        visits=inspections.listed(session, shown, limit=10),
        decisions=accountability.figures(session, shown),
        decision_states=ACCOUNTABILITY_STATUS_LABELS,
        effect=evaluations.figures(session, shown),
        satisfactions=SATISFACTION,
        moneys=MONEY,
    )


@bp.get("/overdue")
@allow(SUPERVISOR)
def overdue() -> str:
    session = db.session()
    unit_id = request.args.get("unit", type=int)
    bucket = request.args.get("bucket") or None
    if bucket not in {key for key, *_ in monitor.BUCKETS}:
        bucket = None
    page = paging.fetch(
        session,
        monitor.overdue_query(session, unit_id, bucket, campaign_id=chosen_id()),
        page_arg(),
        LIST_PER_PAGE,
        capped=True,
    )
    items = page.items
    unit = session.get(Unit, unit_id) if unit_id else None
    return render_template(
        "supervise/overdue.html",
        page=page,
        args={k: v for k, v in (("unit", unit_id), ("bucket", bucket)) if v},
        rows=inbox.describe(session, items),
        unit=unit,
        bucket=dict((k, label) for k, label, *_ in monitor.BUCKETS).get(bucket or "", "全部"),
        bucket_key=bucket or "",
        urged=urging.urged_today(session, [i.id for i in items]),
        days_overdue=urging.days_overdue,
    )


@bp.post("/urge")
@allow(SUPERVISOR)
def urge() -> Response:
    """催办 one item (its row's button) or the items ticked in the drill-down."""
    form = request.form
    where: dict[str, Any] = {
        k: v for k in ("unit", "bucket", "page") if (v := form.get(k, "").strip())
    }
    back = url_for("supervise.overdue", **where)
    errors.on_refusal(errors.back_to(back, "未催办："))
    only = form.get("only", "").strip()
    chosen = [only] if only else form.getlist("items")
    ids = [int(value) for value in chosen if value.isdigit()]
    if len(ids) != len(chosen):
        raise MalformedRequest("所选事项无效")
    done = urging.urge(db.session(), me(), ids, form.get("note", ""))
    flash(done.summary(), "success")
    return redirect(back)


@bp.post("/key-checks")
@allow(SUPERVISOR)
def assign_key_check() -> Response:
    back = url_for("supervise.index") + "#weak"
    errors.on_refusal(errors.back_to(back))
    check = key_checks.assign(
        db.session(),
        HOST,
        me(),
        request.form.get("township", ""),
        request.form.get("team", ""),
        request.form.get("reason", ""),
        request.form.get("due_on", ""),
    )
    flash(f"已安排{check.team.name}对{check.township.name}开展重点检查", "success")
    return redirect(back)


def _by_unit(reports: list[Obligation]) -> list[tuple[str, list[str]]]:
    """Late monthly reports, one line per unit with the months it owes."""
    months: dict[str, list[str]] = {}
    for report in reports:
        months.setdefault(report.unit.name, []).append(report.period)
    return sorted(months.items(), key=lambda pair: (-len(pair[1]), pair[0]))
