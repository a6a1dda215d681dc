"""Taking in reports from the public (群众举报): from the portal, with no login, or phoned in
and typed by the leading group office; and what the reporter may read with the query code.

The portal's form is open to anyone, so it is held to a few reports per client address and
day (counted in `tip_off_throttle`, as logins are in `login_throttle`), its text to the
form's lengths, and a hidden field that people do not see and robots fill is refused. The
reporter is given a random query code (12 characters from an alphabet without look-alike
letters and digits, about 59 bits): the only key to the query page, which shows the stage
and the office's answer and nothing the reporter or anyone else typed."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign import audit, campaigns, choices, notifications, numbering
from campaign.actors import actor_for
from campaign.current import active_campaign
from campaign.masking import mask_text
from campaign.models import Programme, TipOff, TipOffThrottle, User
from campaign.models.accounts import Role
from campaign.models.tip_offs import TipOffStatus
from campaign.org import unit_by_code
from campaign.reference_data import LEADING_OFFICE_CODE
from core import clock
from core.errors import InvalidInput, NotAllowed, NotFound
from engine import cases
from engine.host import Actor, CaseContext, EngineHost

PROCESS_KEY = "tip_off"

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 12

MAX_PORTAL_REPORTS = 5  # from one client address within the window
PORTAL_WINDOW = timedelta(hours=24)
TOO_MANY = (
    f"同一网络地址 24 小时内最多可在网上提交 {MAX_PORTAL_REPORTS} 次举报，请明天再提交，"
    "或拨打举报电话 {phone}。您填写的内容仍保留在下方。"
)
HONEYPOT_FIELD = "website"  # hidden from people; robots that fill every field fill it
REFUSED_AS_ROBOT = "提交未成功，请刷新页面后重新填写"
_PHONE = re.compile(r"^\+?[0-9][0-9 \-—]{5,18}[0-9]$")

# Days the office has for 受理 and for 分办, from the day a report arrives; the unit's 核实
# and the answer to the reporter are dated by the office at 分办.
ACCEPT_DAYS = 3
ASSIGN_DAYS = 5

BAD_CODE = f"查询码为 {CODE_LENGTH} 位字母和数字（如 ABCD-EFGH-JKMN），请核对后重新输入"
UNKNOWN_CODE = "没有找到这个查询码对应的举报，请核对查询码后重新输入"

PORTAL_ACTOR = Actor(None, "群众（门户网站）")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalised_code(typed: str) -> str:
    """A code as typed (any case, with spaces or dashes between groups) as stored."""
    return re.sub(r"[\s\-—_]", "", typed or "").upper()[: CODE_LENGTH * 2]


def shown_code(code: str) -> str:
    """ABCD-EFGH-JKMN: read out and copied in groups of four."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def submit_from_portal(
    session: Session, host: EngineHost, data: Mapping[str, Any], *, address: str
) -> TipOff:
    """A report from the portal; refused (InvalidInput) when the address has sent its share
    for the day, when the hidden field is filled, or field by field when the form is wrong."""
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        audit.record_refusal(
            session, "tip_off.submit", actor_name=audit.ANONYMOUS, source=address, reason="robot"
        )
        raise InvalidInput(REFUSED_AS_ROBOT)
    clean = _clean(session, "tip_off_report", data)
    _count_portal_report(session, address)
    return _take_in(session, host, clean, channel="portal", by=None, source=address)


def submit_phoned(
    session: Session, host: EngineHost, user: User, data: Mapping[str, Any]
) -> TipOff:
    """A report taken on the published phone line, typed by the leading group office."""
    if not takes_phone_reports(user):
        raise NotAllowed("只有领导小组办公室可以登记电话举报")
    clean = _clean(session, "tip_off_phoned", data)
    phone = clean.get("caller_phone") or ""
    if phone and not _PHONE.match(phone):
        raise InvalidInput(
            fields={"caller_phone": "来电号码：须为电话号码（数字，可含区号和短横线）"}
        )
    return _take_in(session, host, clean, channel="phone", by=user)


def takes_phone_reports(user: User) -> bool:
    return any(
        r.role == Role.SUPERVISOR.value and r.unit.code == LEADING_OFFICE_CODE for r in user.roles
    )


def _clean(session: Session, form_key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return choices.clean_form(session, form_key, data)


def _take_in(
    session: Session,
    host: EngineHost,
    clean: Mapping[str, Any],
    *,
    channel: str,
    by: User | None,
    source: str = "",
) -> TipOff:
    campaign = active_campaign(session)
    programme = session.scalars(
        select(Programme).where(
            Programme.campaign_id == campaign.id, Programme.code == clean["programme"]
        )
    ).one()
    township = unit_by_code(session, clean["township"])
    village = unit_by_code(session, clean["village"]) if clean.get("village") else None
    year = clock.local_now().year
    today = clock.local_now().date()
    tip_off = TipOff(
        campaign_id=campaign.id,
        number=f"JB-{year}-{numbering.next_value(session, f'tip_off:{year}'):04d}",
        code=_unused_code(session),
        channel=channel,
        programme=programme,
        township=township,
        village=village,
        account=clean["account"],
        contact=clean.get("contact") or "",
        caller_phone=clean.get("caller_phone") or "",
        received_at=clock.now(),
        received_by=by.id if by is not None else None,
        status=TipOffStatus.RECEIVED.value,
    )
    session.add(tip_off)
    session.flush()
    office = unit_by_code(session, LEADING_OFFICE_CODE)
    case = cases.start_case(
        session,
        host,
        PROCESS_KEY,
        data={
            "tip_off_id": tip_off.id,
            "tip_off_number": tip_off.number,
            "accept_due": (today + timedelta(days=ACCEPT_DAYS)).isoformat(),
            "assign_due": (today + timedelta(days=ASSIGN_DAYS)).isoformat(),
        },
        context=CaseContext(
            owning_unit_id=office.id,
            responsible_unit_id=township.id,
            subject_type="tip_off",
            subject_id=tip_off.id,
        ),
        actor=actor_for(by) if by is not None else PORTAL_ACTOR,
    )
    tip_off.case_id = case.id
    notifications.for_new_work(session, case.id)
    audit.record(
        session,
        "tip_off.submit",
        actor=by,
        actor_name=None if by is not None else PORTAL_ACTOR.name,
        target=f"tip_off:{tip_off.number}",
        source=source,
        channel=channel,
    )
    return tip_off


def _unused_code(session: Session) -> str:
    while True:  # 31^12 codes: a clash is a curiosity, but never two reports on one code
        code = new_code()
        if session.scalar(select(TipOff.id).where(TipOff.code == code)) is None:
            return code


def _count_portal_report(session: Session, address: str) -> None:
    if not address:
        return
    now = clock.now()
    row = _throttle_row(session, address, now)
    if now - row.window_started_at >= PORTAL_WINDOW:
        row.submissions = 0
        row.window_started_at = now
    if row.submissions >= MAX_PORTAL_REPORTS:
        audit.record_refusal(
            session,
            "tip_off.submit",
            actor_name=audit.ANONYMOUS,
            source=address,
            reason="too many from the address",
        )
        raise InvalidInput(TOO_MANY.format(phone=campaigns.report_phone(session)))
    row.submissions += 1


def _throttle_row(session: Session, address: str, now: datetime) -> TipOffThrottle:
    """The address's counter, locked for this transaction (campaign.login does the same)."""
    query = (
        select(TipOffThrottle)
        .where(TipOffThrottle.address == address)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = session.scalar(query)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = TipOffThrottle(address=address, submissions=0, window_started_at=now)
            session.add(row)
        return row
    except IntegrityError:
        found = session.scalar(query)
        if found is None:  # pragma: no cover - the row that collided is there
            raise
        return found


@dataclass(frozen=True)
class Stage:
    label: str
    done: bool
    current: bool


@dataclass(frozen=True)
class PublicStatus:
    """What the query page shows: nothing typed by the reporter, nobody's name or number."""

    code: str
    received_on: date
    programme: str
    township: str
    status: str
    stages: list[Stage]
    answer: str
    answered_on: date | None


_STAGES = ("受理", "分办", "核实中", "已反馈")
_REACHED = {"received": 0, "accepted": 1, "verifying": 2, "verified": 2, "answered": 4}


def public_status(session: Session, typed: str) -> PublicStatus:
    code = normalised_code(typed)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise InvalidInput(fields={"code": BAD_CODE})
    tip_off = session.scalar(select(TipOff).where(TipOff.code == code))
    if tip_off is None:
        raise NotFound(UNKNOWN_CODE)
    rejected = tip_off.status == TipOffStatus.REJECTED.value
    reached = 1 if rejected else _REACHED.get(tip_off.status, 0)
    stages = [
        Stage(label, done=index < reached, current=index == reached and not rejected)
        for index, label in enumerate(_STAGES)
    ]
    answer = tip_off.reject_reason if rejected else tip_off.feedback
    local = tip_off.received_at.astimezone(clock.LOCAL_TZ).date()
    answered = (
        tip_off.answered_at.astimezone(clock.LOCAL_TZ).date() if tip_off.answered_at else None
    )
    return PublicStatus(
        code=shown_code(tip_off.code),
        received_on=local,
        programme=tip_off.programme.name,
        township=tip_off.township.name,
        status=tip_off.status_label,
        stages=stages,
        answer=mask_text(answer) if answer else "",
        answered_on=answered,
    )
