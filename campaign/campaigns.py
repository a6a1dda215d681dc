"""The campaign's settings, edited by the system administrator: its dates, phases (阶段),
reporting deadlines (报送时限) and the published 举报电话; and a new campaign (the next
year's 回头看) created from the previous one's settings.

A new campaign is prepared beside the one in progress (not active: nothing of the running
campaign changes), its settings corrected, then started: it becomes the campaign in progress
and the previous one is closed, its records staying readable under its own id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, households, programmes
from campaign.current import active_campaign, campaign_in_progress, ensure_open
from campaign.models import (
    Campaign,
    CampaignPhase,
    EligibilityStandard,
    Programme,
    ReportingDeadline,
    User,
)
from core.errors import Conflict, InvalidInput, NotFound
from forms.fields import DAY_OUT_OF_RANGE, in_calendar

# As 临空财发〔2022〕4号 publishes it; a campaign without a phone of its own shows this one.
DEFAULT_REPORT_PHONE = "027—60670176（区财金局综合科）"
PHONE = re.compile(r"[0-9+][0-9\-—－ ]{5,30}(（[^（）]{1,30}）)?")
CODE = re.compile(r"[0-9A-Z][0-9A-Z-]{1,31}")
MONTH_DAY_LAST = 28  # every month has it


def report_phone(session: Session) -> str:
    """The 举报电话 the campaign in progress publishes."""
    campaign = campaign_in_progress(session)
    return (campaign.report_phone if campaign else None) or DEFAULT_REPORT_PHONE


def monthly_report_day(session: Session) -> int:
    """The day of the month the campaign in progress wants the monthly report by."""
    campaign = active_campaign(session)
    found = next((d for d in campaign.deadlines if d.recurrence == "monthly"), None)
    return (found.day_of_month if found else None) or 23


def all_campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.year.desc(), Campaign.id)))


def campaign_by_code(session: Session, code: str) -> Campaign:
    found = session.scalar(select(Campaign).where(Campaign.code == code.strip().upper()))
    if found is None:
        raise NotFound(f"专项治理活动不存在：{code}")
    return found


def _dates(starts_on: date, ends_on: date, what: str, field: str) -> None:
    for day, named in ((starts_on, "starts_on"), (ends_on, "ends_on")):
        if not in_calendar(day):
            raise InvalidInput(f"{what}的日期{DAY_OUT_OF_RANGE}", fields={named: DAY_OUT_OF_RANGE})
    if ends_on < starts_on:
        raise InvalidInput(f"{what}的结束日期早于开始日期", fields={field: "结束日期早于开始日期"})


def _within(campaign: Campaign, day: date, what: str, field: str) -> None:
    if not campaign.starts_on <= day <= campaign.ends_on:
        raise InvalidInput(
            f"{what}（{day.isoformat()}）不在活动期间 {campaign.starts_on.isoformat()} 至 "
            f"{campaign.ends_on.isoformat()} 之内",
            fields={field: "不在活动期间之内"},
        )


@dataclass(frozen=True)
class CampaignInput:
    name: str
    document_no: str
    starts_on: date
    ends_on: date
    report_phone: str


def update_campaign(
    session: Session, campaign: Campaign, typed: CampaignInput, *, actor: User | None = None
) -> Campaign:
    ensure_open(session, campaign.id)
    name = " ".join(typed.name.split())
    if not name or len(name) > 200:
        raise InvalidInput("请填写活动名称（不超过 200 字）", fields={"name": "不能为空"})
    phone = typed.report_phone.strip()
    if phone and not PHONE.fullmatch(phone):
        raise InvalidInput(
            "举报电话须为电话号码，可在后面用中文括号注明受理单位，"
            "如 027—60670176（区财金局综合科）",
            fields={"report_phone": "格式不对"},
        )
    _dates(typed.starts_on, typed.ends_on, "活动", "ends_on")
    for phase in campaign.phases:
        if phase.starts_on < typed.starts_on or phase.ends_on > typed.ends_on:
            raise InvalidInput(
                f"阶段“{phase.name}”（{phase.starts_on} 至 {phase.ends_on}）将落在活动期间之外，"
                "请先调整阶段日期",
                fields={"starts_on": "与阶段日期冲突"},
            )
    campaign.name, campaign.document_no = name, typed.document_no.strip()[:64] or None
    campaign.starts_on, campaign.ends_on = typed.starts_on, typed.ends_on
    campaign.report_phone = phone or None
    session.flush()
    audit.record(
        session,
        "campaign.update",
        actor=actor,
        target=f"campaign:{campaign.code}",
        starts_on=typed.starts_on.isoformat(),
        ends_on=typed.ends_on.isoformat(),
        report_phone=phone,
    )
    return campaign


def update_phase(
    session: Session,
    campaign: Campaign,
    seq: int,
    name: str,
    starts_on: date,
    ends_on: date,
    *,
    actor: User | None = None,
) -> CampaignPhase:
    ensure_open(session, campaign.id)
    phase = next((p for p in campaign.phases if p.seq == seq), None)
    if phase is None:
        raise NotFound(f"没有第 {seq} 阶段")
    label = " ".join(name.split())
    if not label or len(label) > 64:
        raise InvalidInput("请填写阶段名称（不超过 64 字）", fields={"name": "不能为空"})
    _dates(starts_on, ends_on, f"阶段“{label}”", "ends_on")
    _within(campaign, starts_on, "阶段开始日期", "starts_on")
    _within(campaign, ends_on, "阶段结束日期", "ends_on")
    for other in campaign.phases:
        if other.seq != seq and other.starts_on <= ends_on and starts_on <= other.ends_on:
            raise InvalidInput(
                f"与阶段“{other.name}”（{other.starts_on} 至 {other.ends_on}）的日期重叠",
                fields={"starts_on": "与其他阶段重叠"},
            )
    phase.name, phase.starts_on, phase.ends_on = label, starts_on, ends_on
    session.flush()
    audit.record(
        session,
        "campaign.phase",
        actor=actor,
        target=f"campaign:{campaign.code}",
        seq=seq,
        name=label,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
    )
    return phase


def update_deadline(
    session: Session,
    campaign: Campaign,
    code: str,
    *,
    name: str,
    day_of_month: int | None = None,
    due_on: date | None = None,
    actor: User | None = None,
) -> ReportingDeadline:
    """A monthly report's day of the month, or a once-only report's date. Reports already
    owed keep the date they were started with; the ones started from now on take the new."""
    ensure_open(session, campaign.id)
    deadline = next((d for d in campaign.deadlines if d.code == code), None)
    if deadline is None:
        raise NotFound(f"没有报送事项 {code}")
    label = " ".join(name.split())
    if not label or len(label) > 100:
        raise InvalidInput("请填写报送事项名称（不超过 100 字）", fields={"name": "不能为空"})
    if deadline.recurrence == "monthly":
        if day_of_month is None or not 1 <= day_of_month <= MONTH_DAY_LAST:
            raise InvalidInput(
                f"每月报送日须为 1 至 {MONTH_DAY_LAST} 之间的整数",
                fields={"day_of_month": "须为 1–28"},
            )
        deadline.day_of_month = day_of_month
    else:
        if due_on is None:
            raise InvalidInput("请填写报送截止日期", fields={"due_on": "不能为空"})
        _within(campaign, due_on, "报送截止日期", "due_on")
        deadline.due_on = due_on
    deadline.name = label
    session.flush()
    audit.record(
        session,
        "campaign.deadline",
        actor=actor,
        target=f"campaign:{campaign.code}",
        deadline=code,
        day_of_month=deadline.day_of_month or "",
        due_on=deadline.due_on.isoformat() if deadline.due_on else "",
    )
    return deadline


def _shifted(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def create_from(
    session: Session,
    previous: Campaign,
    *,
    code: str,
    year: int,
    name: str,
    actor: User | None = None,
    actor_name: str = "",
) -> Campaign:
    """A new campaign with the previous one's settings, its dates moved by the difference
    in years: phases, deadlines, programmes with their sub-programmes and levels (active
    ones only) and their eligibility standards, the 举报电话. It is prepared, not started."""
    code = code.strip().upper()
    if not CODE.fullmatch(code):
        raise InvalidInput(
            "活动代码须为 2–32 位大写字母、数字或连字符", fields={"code": "格式不对"}
        )
    if not 2000 <= year <= 2100:
        raise InvalidInput("年度须在 2000 至 2100 之间", fields={"year": "超出范围"})
    if year <= previous.year:
        raise InvalidInput(
            f"新活动的年度须晚于 {previous.year}", fields={"year": "须晚于原活动年度"}
        )
    if session.scalar(select(Campaign.id).where(Campaign.code == code)):
        raise Conflict(f"活动代码已存在：{code}")
    if session.scalar(select(Campaign.id).where(Campaign.year == year)):
        raise Conflict(f"{year} 年度已有专项治理活动")
    label = " ".join(name.split()) or previous.name
    shift = year - previous.year
    made = Campaign(
        code=code,
        name=label[:200],
        year=year,
        document_no=None,
        starts_on=_shifted(previous.starts_on, shift),
        ends_on=_shifted(previous.ends_on, shift),
        active=False,
        report_phone=previous.report_phone,
        previous_id=previous.id,
    )
    session.add(made)
    session.flush()
    for phase in previous.phases:
        made.phases.append(
            CampaignPhase(
                seq=phase.seq,
                name=phase.name,
                starts_on=_shifted(phase.starts_on, shift),
                ends_on=_shifted(phase.ends_on, shift),
            )
        )
    for deadline in previous.deadlines:
        made.deadlines.append(
            ReportingDeadline(
                code=deadline.code,
                name=deadline.name,
                recurrence=deadline.recurrence,
                day_of_month=deadline.day_of_month,
                due_on=_shifted(deadline.due_on, shift) if deadline.due_on else None,
                owed_by=deadline.owed_by,
                recipient_code=deadline.recipient_code,
            )
        )
    copies: dict[int, Programme] = {}
    old = [p for p in previous.programmes if p.active]
    for programme in sorted(old, key=lambda p: p.parent_id is not None):
        copy = Programme(
            code=programme.code,
            name=programme.name,
            level=programme.level,
            sort_order=programme.sort_order,
            active=True,
        )
        if programme.parent_id is not None:
            parent = copies.get(programme.parent_id)
            if parent is None:  # its programme was retired: the sub-programme is not carried
                continue
            session.flush()
            copy.parent_id = parent.id
        made.programmes.append(copy)
        session.flush()
        copies[programme.id] = copy
    session.flush()
    programmes.renumber(session, made)
    standards = _copy_standards(session, copies)
    audit.record(
        session,
        "campaign.create",
        actor=actor,
        actor_name=actor_name or None,
        target=f"campaign:{code}",
        previous=previous.code,
        year=year,
        programmes=len(copies),
        standards=standards,
    )
    return made


def _copy_standards(session: Session, copies: dict[int, Programme]) -> int:
    """The eligibility standards of 数据比对 go with their programmes to the new campaign."""
    copied = 0
    for standard in session.scalars(
        select(EligibilityStandard).where(EligibilityStandard.programme_id.in_(copies))
    ):
        session.add(
            EligibilityStandard(
                programme_id=copies[standard.programme_id].id,
                amount_fen=standard.amount_fen,
                unit=standard.unit,
                min_age=standard.min_age,
                max_age=standard.max_age,
                household_type=standard.household_type,
                excludes_payroll=standard.excludes_payroll,
            )
        )
        copied += 1
    session.flush()
    return copied


def start(
    session: Session, campaign: Campaign, *, actor: User | None = None, actor_name: str = ""
) -> Campaign:
    """The prepared campaign becomes the one in progress, with a copy of the household lists
    as they stand; the one before it is closed (its lists stay as they are)."""
    if campaign.active:
        raise Conflict(f"“{campaign.name}”已是进行中的活动")
    current = active_campaign(session)
    if campaign.year <= current.year:
        raise Conflict(f"只能开始比进行中的活动（{current.year} 年度）更晚的活动")
    for other in session.scalars(select(Campaign).where(Campaign.active.is_(True))):
        other.active = False
    campaign.active = True
    session.flush()
    copied = households.copy_to_next(session, current.id, campaign.id)
    audit.record(
        session,
        "campaign.start",
        actor=actor,
        actor_name=actor_name or None,
        target=f"campaign:{campaign.code}",
        closed=current.code,
        households=copied,
    )
    return campaign
