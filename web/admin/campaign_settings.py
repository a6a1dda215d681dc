"""活动设置: the campaign's dates, phases, reporting deadlines and published 举报电话, edited by
the system administrator; a next campaign prepared from this one's settings and started
(campaign.campaigns)."""

from __future__ import annotations

from datetime import date

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from campaign import campaigns
from campaign.current import active_campaign
from campaign.models import Campaign
from core.days import NotADay, read_day
from core.errors import AppError, InvalidInput
from core.numbers import whole
from web import db, errors
from web.admin.blueprint import bp
from web.admin.reference import done, refusal_fields, typed_form
from web.authz import allow
from web.common import me
from web.roles import ADMIN


def _chosen(code: str | None = None) -> Campaign:
    session = db.session()
    wanted = code or request.args.get("campaign", "").strip()
    return campaigns.campaign_by_code(session, wanted) if wanted else active_campaign(session)


def _page(
    campaign: Campaign,
    *,
    refused: str = "",
    where: str = "",
    fields: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> str:
    session = db.session()
    return render_template(
        "admin/campaign.html",
        campaign=campaign,
        campaigns=campaigns.all_campaigns(session),
        in_progress=active_campaign(session),
        default_phone=campaigns.DEFAULT_REPORT_PHONE,
        refused=refused,
        where=where,
        fields=fields or {},
        typed=typed or {},
    )


@bp.get("/reference/campaign")
@allow(ADMIN)
def campaign_settings() -> str:
    return _page(_chosen())


def _again(campaign: Campaign, where: str, typed: dict[str, str]) -> errors.Refusal:
    def again(error: AppError) -> ResponseReturnValue:
        fresh = _chosen(campaign.code)
        shown = _page(
            fresh, refused=str(error), where=where, fields=refusal_fields(error), typed=typed
        )
        return shown, 422

    return again


def _date(text: str, field: str) -> date:
    try:
        return read_day(text)
    except NotADay as refused:
        raise InvalidInput(str(refused), fields={field: str(refused)}) from None


@bp.post("/reference/campaign/<code>")
@allow(ADMIN)
def update_campaign(code: str) -> Response:
    campaign = _chosen(code)
    typed = typed_form(("name", "document_no", "starts_on", "ends_on", "report_phone"))
    errors.on_refusal(_again(campaign, "campaign", typed))
    campaigns.update_campaign(
        db.session(),
        campaign,
        campaigns.CampaignInput(
            name=typed["name"],
            document_no=typed["document_no"],
            starts_on=_date(typed["starts_on"], "starts_on"),
            ends_on=_date(typed["ends_on"], "ends_on"),
            report_phone=typed["report_phone"],
        ),
        actor=me(),
    )
    return done(f"已保存 {campaign.name} 的设置", "admin.campaign_settings", campaign=code)


@bp.post("/reference/campaign/<code>/phases/<int:seq>")
@allow(ADMIN)
def update_phase(code: str, seq: int) -> Response:
    campaign = _chosen(code)
    typed = typed_form(("name", "starts_on", "ends_on"))
    errors.on_refusal(_again(campaign, f"phase-{seq}", typed))
    phase = campaigns.update_phase(
        db.session(),
        campaign,
        seq,
        typed["name"],
        _date(typed["starts_on"], "starts_on"),
        _date(typed["ends_on"], "ends_on"),
        actor=me(),
    )
    return done(f"已保存阶段“{phase.name}”", "admin.campaign_settings", campaign=code)


@bp.post("/reference/campaign/<code>/deadlines/<deadline>")
@allow(ADMIN)
def update_deadline(code: str, deadline: str) -> Response:
    campaign = _chosen(code)
    typed = typed_form(("name", "day_of_month", "due_on"))
    errors.on_refusal(_again(campaign, f"deadline-{deadline}", typed))
    day = whole(typed["day_of_month"]) if typed["day_of_month"] else None
    if typed["day_of_month"] and day is None:
        raise InvalidInput("每月报送日须为整数", fields={"day_of_month": "须为整数"})
    saved = campaigns.update_deadline(
        db.session(),
        campaign,
        deadline,
        name=typed["name"],
        day_of_month=day,
        due_on=_date(typed["due_on"], "due_on") if typed["due_on"] else None,
        actor=me(),
    )
    return done(f"已保存报送时限“{saved.name}”", "admin.campaign_settings", campaign=code)


@bp.post("/reference/campaigns")
@allow(ADMIN)
def create_campaign() -> Response:
    typed = typed_form(("previous", "code", "year", "name"))
    previous = _chosen(typed["previous"] or None)
    errors.on_refusal(_again(previous, "new-campaign", typed))
    year = whole(typed["year"])
    if year is None:
        raise InvalidInput("年度须为四位数字", fields={"year": "须为年份"})
    made = campaigns.create_from(
        db.session(),
        previous,
        code=typed["code"],
        year=year,
        name=typed["name"],
        actor=me(),
    )
    return done(
        f"已按 {previous.year} 年度的设置新建 {made.name}（{made.year}），请核对后开始",
        "admin.campaign_settings",
        campaign=made.code,
    )


@bp.post("/reference/campaign/<code>/start")
@allow(ADMIN)
def start_campaign(code: str) -> Response:
    campaign = _chosen(code)
    errors.on_refusal(errors.back_to(url_for("admin.campaign_settings", campaign=code), "未开始："))
    campaigns.start(db.session(), campaign, actor=me())
    return done(f"{campaign.name}（{campaign.year}）已开始", "admin.campaign_settings")
