"""`ykt campaign`: the campaign's settings (dates, phases, deadlines, 举报电话) and a new
campaign from the previous one's (docs/operations.md, "Reference data")."""

from __future__ import annotations

from datetime import date

import click
from sqlalchemy.orm import Session

from campaign import campaigns
from campaign.current import active_campaign
from campaign.models import Campaign
from cli.comparison import _actor
from cli.context import AppContext, friendly_errors, pass_app
from core.days import NotADay, read_day
from core.errors import InvalidInput


def _day(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return read_day(text)
    except NotADay as refused:
        raise InvalidInput(f"{what}：{refused}") from None


def _campaign(session: Session, code: str | None) -> Campaign:
    return campaigns.campaign_by_code(session, code) if code else active_campaign(session)


@click.group("campaign", help="专项治理活动：活动期间、阶段、报送时限、举报电话；按上一活动新建。")
def campaign_group() -> None:
    pass


@campaign_group.command("list", help="列出全部活动。")
@pass_app
@friendly_errors
def campaign_list(app: AppContext) -> None:
    with app.reading() as session:
        for c in campaigns.all_campaigns(session):
            state = "进行中" if c.active else "未开始或已结束"
            click.echo(f"{c.code:<12} {c.year}\t{c.name}\t{state}")


@campaign_group.command("show", help="一次活动的设置（默认为进行中的活动）。")
@click.argument("code", required=False)
@pass_app
@friendly_errors
def campaign_show(app: AppContext, code: str | None) -> None:
    with app.reading() as session:
        c = _campaign(session, code)
        click.echo(f"{c.name}（{c.code}，{c.year} 年度）")
        click.echo(f"活动期间：{c.starts_on} 至 {c.ends_on}")
        click.echo(f"文号：{c.document_no or '（未填写）'}")
        click.echo(f"举报电话：{c.report_phone or campaigns.DEFAULT_REPORT_PHONE}")
        for p in c.phases:
            click.echo(f"阶段 {p.seq} {p.name}：{p.starts_on} 至 {p.ends_on}")
        for d in c.deadlines:
            when = f"每月 {d.day_of_month} 日" if d.recurrence == "monthly" else f"{d.due_on}"
            click.echo(f"报送 {d.code} {d.name}：{when}")


@campaign_group.command("set", help="修改活动名称、文号、期间或举报电话（未给出的不变）。")
@click.option("--campaign", "code", default=None, help="活动代码（默认为进行中的活动）")
@click.option("--name", default=None)
@click.option("--document-no", default=None)
@click.option("--starts", default=None, help="开始日期 YYYY-MM-DD")
@click.option("--ends", default=None, help="结束日期 YYYY-MM-DD")
@click.option("--phone", default=None, help="举报电话，如 027—60670176（区财金局综合科）")
@pass_app
@friendly_errors
def campaign_set(
    app: AppContext,
    code: str | None,
    name: str | None,
    document_no: str | None,
    starts: str | None,
    ends: str | None,
    phone: str | None,
) -> None:
    with app.transaction() as session:
        c = _campaign(session, code)
        typed = campaigns.CampaignInput(
            name=c.name if name is None else name,
            document_no=(c.document_no or "") if document_no is None else document_no,
            starts_on=_day(starts, "开始日期") or c.starts_on,
            ends_on=_day(ends, "结束日期") or c.ends_on,
            report_phone=(c.report_phone or "") if phone is None else phone,
        )
        campaigns.update_campaign(session, c, typed)
        click.echo(f"已保存 {c.name} 的设置")


@campaign_group.command("phase", help="修改一个阶段的名称和起止日期。")
@click.argument("seq", type=int)
@click.option("--campaign", "code", default=None)
@click.option("--name", default=None)
@click.option("--starts", default=None, help="YYYY-MM-DD")
@click.option("--ends", default=None, help="YYYY-MM-DD")
@pass_app
@friendly_errors
def campaign_phase(
    app: AppContext,
    seq: int,
    code: str | None,
    name: str | None,
    starts: str | None,
    ends: str | None,
) -> None:
    with app.transaction() as session:
        c = _campaign(session, code)
        now = next((p for p in c.phases if p.seq == seq), None)
        if now is None:
            raise InvalidInput(f"没有第 {seq} 阶段")
        phase = campaigns.update_phase(
            session,
            c,
            seq,
            now.name if name is None else name,
            _day(starts, "开始日期") or now.starts_on,
            _day(ends, "结束日期") or now.ends_on,
        )
        click.echo(f"阶段 {phase.seq} {phase.name}：{phase.starts_on} 至 {phase.ends_on}")


@campaign_group.command("deadline", help="修改报送时限：月报用 --day，一次性报告用 --due。")
@click.argument("deadline")
@click.option("--campaign", "code", default=None)
@click.option("--day", type=int, default=None, help="每月报送日（1–28）")
@click.option("--due", default=None, help="截止日期 YYYY-MM-DD")
@pass_app
@friendly_errors
def campaign_deadline(
    app: AppContext, deadline: str, code: str | None, day: int | None, due: str | None
) -> None:
    with app.transaction() as session:
        c = _campaign(session, code)
        now = next((d for d in c.deadlines if d.code == deadline), None)
        if now is None:
            raise InvalidInput(f"没有报送事项 {deadline}")
        done = campaigns.update_deadline(
            session,
            c,
            deadline,
            name=now.name,
            day_of_month=now.day_of_month if day is None else day,
            due_on=_day(due, "截止日期") or now.due_on,
        )
        when = f"每月 {done.day_of_month} 日" if done.recurrence == "monthly" else f"{done.due_on}"
        click.echo(f"{done.name}：{when}")


@campaign_group.command("new", help="按上一活动的设置新建活动（准备中，用 start 开始）。")
@click.argument("code")
@click.option("--year", type=int, required=True)
@click.option("--from", "previous", default=None, help="上一活动代码（默认为进行中的活动）")
@click.option("--name", default="", help="活动名称（默认沿用上一活动）")
@pass_app
@friendly_errors
def campaign_new(app: AppContext, code: str, year: int, previous: str | None, name: str) -> None:
    with app.transaction() as session:
        made = campaigns.create_from(
            session,
            _campaign(session, previous),
            code=code,
            year=year,
            name=name,
            actor_name=_actor(),
        )
        click.echo(
            f"已新建 {made.name}（{made.code}）：{made.starts_on} 至 {made.ends_on}，"
            f"{len(made.programmes)} 个补贴项目；核对设置后用 ykt campaign start {made.code} 开始"
        )


@campaign_group.command("start", help="开始准备好的活动：它成为进行中的活动，上一活动结束。")
@click.argument("code")
@pass_app
@friendly_errors
def campaign_start(app: AppContext, code: str) -> None:
    with app.transaction() as session:
        made = campaigns.start(
            session, campaigns.campaign_by_code(session, code), actor_name=_actor()
        )
        click.echo(f"{made.name}（{made.year} 年度）已开始")
