from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
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
from core.errors import AppError, MalformedRequest
from core.numbers import row_id
from web import db, errors
from web.authz import allow
from web.campaign_choice import chosen, chosen_id
from web.common import HOST, me, page_arg, working_list_page, working_page
from web.roles import SUPERVISOR

bp = Blueprint("supervise", __name__, url_prefix="/supervise")


# The 督办 page's long tables (a province has 1,257 townships) show their first rows; each
# links to the whole table a page at a time.
DASHBOARD_ROWS = 20


@dataclass(frozen=True)
class FullList:
    title: str
    partial: str
    counted: str  # what a row is, counted: 个单位, 个乡镇
    rows: Callable[[Session], list[Any]]
    name: Callable[[Any], str]  # what a search matches


FULL_LISTS = {
    "overdue_units": FullList(
        "逾期事项（按单位、逾期天数）",
        "supervise/_overdue_units.html",
        "个单位",
        lambda session: monitor.overdue_by_unit(session, chosen_id()),
        lambda ageing: f"{ageing.unit_name} {ageing.unit_code}",
    ),
    "unfiled": FullList(
        "月报逾期未报",
        "supervise/_unfiled.html",
        "个单位",
        lambda session: _by_unit(
            obligations.unfiled(session, "monthly_report", campaign_id=chosen_id())
        ),
        lambda row: f"{row[0]} {row[1]}",
    ),
    "coverage": FullList(
        "自查走访全覆盖（从未走访的村）",
        "supervise/_coverage.html",
        "个乡镇",
        lambda session: village_visits.coverage(session, chosen()),
        lambda found: f"{found.township.name} {found.township.code}",
    ),
    "weak": FullList(
        "发现问题偏少或“零报送”的乡镇",
        "supervise/_weak.html",
        "个乡镇",
        lambda session: key_checks.propose(session, chosen()),
        lambda score: f"{score.township.name} {score.township.code}",
    ),
}


def _table_context(session: Session, *, with_checks: bool = True) -> dict[str, Any]:
    """What the tables' rows need beside themselves: the teams a check may go to and the
    checks assigned, for the weak townships' table alone (`with_checks`)."""
    common = {
        "buckets": monitor.BUCKETS,
        "monthly_day": campaigns.monthly_report_day(session),
        "dashboard_rows": DASHBOARD_ROWS,
    }
    if not with_checks:
        return common | {"teams": [], "checks": {}}
    teams = list(
        session.scalars(
            select(Unit).where(Unit.kind == UnitKind.INSPECTION_TEAM.value).order_by(Unit.code)
        )
    )
    checks = {
        c.township_id: c
        for c in session.scalars(
            select(KeyCheck)
            .where(KeyCheck.campaign_id == chosen_id())
            .options(selectinload(KeyCheck.team))
        )
    }
    return common | {"teams": teams, "checks": checks}


@bp.get("/")
@allow(SUPERVISOR)
def index() -> str:
    return _index_page()


def _index_page(kept: dict[str, str] | None = None) -> str:
    """督办; after a refused 安排检查, with that township's form as sent and why (`kept`)."""
    session = db.session()
    shown = chosen_id()
    ageing = FULL_LISTS["overdue_units"].rows(session)
    chart = {
        "labels": [a.unit_name for a in ageing[:15]],
        "series": [
            {"label": label, "data": [a.counts[key] for a in ageing[:15]]}
            for key, label, *_ in monitor.BUCKETS
        ],
    }
    return render_template(
        "supervise/index.html",
        **_table_context(session),
        monthly=obligations.filing(session, "monthly_report", campaign_id=shown),
        ageing=ageing,
        chart=json.dumps(chart, ensure_ascii=False),
        scores=FULL_LISTS["weak"].rows(session),
        unfiled=FULL_LISTS["unfiled"].rows(session),
        coverage=FULL_LISTS["coverage"].rows(session),
        orders=supervision.figures(session, shown),
        order_states=supervision.STATES,
        visits=inspections.listed(session, shown, limit=10),
        decisions=accountability.figures(session, shown),
        decision_states=ACCOUNTABILITY_STATUS_LABELS,
        effect=evaluations.figures(session, shown),
        satisfactions=SATISFACTION,
        moneys=MONEY,
        kept=kept or {},
        page_address=url_for("supervise.index"),
    )


@bp.get("/list/<view>")
@allow(SUPERVISOR)
def full_list(view: str) -> str:
    """One of the 督办 page's tables whole, a page at a time, searched by unit name or code."""
    return _full_list_page(view, request.args.get("q", ""), page_arg())


def _full_list_page(view: str, asked: str, number: int, kept: dict[str, str] | None = None) -> str:
    shown_list = FULL_LISTS.get(view)
    if shown_list is None:
        abort(404)
    session = db.session()
    search = asked.strip()[:100]
    rows = shown_list.rows(session)
    if search:
        wanted = search.upper()  # codes are kept in capitals; names have no case
        rows = [row for row in rows if wanted in shown_list.name(row).upper()]
    page = working_list_page(rows, number)
    args: dict[str, Any] = {"view": view} | ({"q": search} if search else {})
    back = url_for("supervise.full_list", **args, page=page.number if page.number > 1 else None)
    return render_template(
        "supervise/list.html",
        **_table_context(session, with_checks=view == "weak"),
        shown_list=shown_list,
        monthly=obligations.filing(session, "monthly_report", campaign_id=chosen_id())
        if view == "unfiled" and not search
        else None,
        page=page,
        search=search,
        args=args,
        back=back,
        kept=kept or {},
        page_address=back,
    )


@bp.get("/overdue")
@allow(SUPERVISOR)
def overdue() -> ResponseReturnValue:
    args = request.args
    return _overdue_page(args.get("unit", ""), args.get("bucket", ""), page_arg())


def _overdue_page(
    asked: str, bucket_asked: str, number: int, kept: dict[str, Any] | None = None
) -> str:
    """The drill-down of a unit's (or the district's) overdue items; `kept`: a refused 催办's
    ticks, note and reason, shown again with it."""
    session = db.session()
    unit_id = row_id(asked)
    # Anything that names no unit (an id no unit has, beyond the column's range too) names
    # no list: not found.
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    if asked and unit is None:
        abort(404)
    bucket = bucket_asked or None
    if bucket not in {key for key, *_ in monitor.BUCKETS}:
        bucket = None
    page = working_page(
        session,
        monitor.overdue_query(session, unit_id, bucket, campaign_id=chosen_id()),
        number=number,
    )
    items = page.items
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
        kept=kept or {},
        page_address=url_for("supervise.overdue", unit=unit_id, bucket=bucket),
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
    only = form.get("only", "").strip()
    chosen = [only] if only else form.getlist("items")
    note = form.get("note", "")

    def again(error: AppError) -> ResponseReturnValue:
        """The drill-down again at its page, the ticks and the note as sent, the reason
        above: nothing typed is lost (a refusal redirected to an emptied form)."""
        kept = {"items": set(chosen), "note": note, "error": errors.in_words(error)}
        number = paging.page_number(where.get("page"))
        shown = _overdue_page(where.get("unit", ""), where.get("bucket", ""), number, kept)
        return shown, error.status

    errors.on_refusal(again)
    read = [row_id(value) for value in chosen]
    ids = [item_id for item_id in read if item_id is not None]
    if len(ids) != len(chosen):
        raise MalformedRequest("所选事项无效")
    done = urging.urge(db.session(), me(), ids, note)
    flash(done.summary(), "success")
    return redirect(back)


@bp.post("/key-checks")
@allow(SUPERVISOR)
def assign_key_check() -> Response:
    # From the whole list's page, back to it (its page and search); from elsewhere, 督办.
    weak_list = url_for("supervise.full_list", view="weak")
    asked = urlsplit(request.form.get("back", ""))
    ours = not asked.scheme and not asked.netloc and asked.path == weak_list
    back = asked.geturl() if ours else url_for("supervise.index") + "#weak"
    sent = {name: request.form.get(name, "") for name in ("township", "team", "due_on")}

    def again(error: AppError) -> ResponseReturnValue:
        """The page the form was on, its row's team and date as chosen, the reason beside."""
        kept = sent | {"error": errors.in_words(error)}
        if not ours:
            return _index_page(kept), error.status
        query = parse_qs(asked.query)
        try:
            number = paging.page_number(query.get("page", [""])[0])
        except AppError:
            number = 1
        return _full_list_page("weak", query.get("q", [""])[0], number, kept), error.status

    errors.on_refusal(again)
    check = key_checks.assign(
        db.session(),
        HOST,
        me(),
        sent["township"],
        sent["team"],
        request.form.get("reason", ""),
        sent["due_on"],
    )
    flash(f"已安排{check.team.name}对{check.township.name}开展重点检查", "success")
    return redirect(back)


def _by_unit(reports: list[Obligation]) -> list[tuple[str, str, list[str]]]:
    """Late monthly reports, one line per unit (name, code) with the months it owes."""
    months: dict[tuple[str, str], list[str]] = {}
    for report in reports:
        months.setdefault((report.unit.name, report.unit.code), []).append(report.period)
    return sorted(
        ((name, code, owed) for (name, code), owed in months.items()),
        key=lambda line: (-len(line[2]), line[0]),
    )
