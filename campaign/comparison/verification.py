"""核实: each 疑点 a case in the verifying township's inbox (workflows/comparison_verify.bpmn),
and what its outcome writes: 属实 → a ledger entry registered as any other (source 数据比对,
the programme, the category the rule implies, the amount, the roll rows named), 不属实 →
closed with the findings and the evidence files of the task.

A 疑点 gets one case, ever: the case is started only after an UPDATE that moves the 疑点
from open to verifying has changed its row, which one transaction alone can do (PostgreSQL
makes a second one wait and then finds the row no longer open; SQLite writes one at a time),
and `discrepancy.case_id` is unique besides."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from enum import Enum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaign import audit, notifications, problems, visibility
from campaign.current import active_campaign
from campaign.masking import masked_name
from campaign.models import Discrepancy, PaymentRoll, Problem, Programme, RollRow, Unit, User
from campaign.models.accounts import UNIT_ROLES
from core import clock
from core.errors import InvalidInput
from engine import cases
from engine.host import SYSTEM, CaseContext, EngineHost
from engine.models import Case, WorkItem

PROCESS_KEY = "comparison_verify"
FORM_KEY = "comparison_verify"
VERIFY_DAYS = 15  # the township's time to verify, from the day the case starts


class Status(Enum):
    OPEN = "open"
    VERIFYING = "verifying"
    CONFIRMED = "confirmed"
    REFUTED = "refuted"


STATUS_LABELS = {
    Status.OPEN.value: "待核实",
    Status.VERIFYING.value: "核实中",
    Status.CONFIRMED.value: "属实",
    Status.REFUTED.value: "不属实",
}

# What a confirmed 疑点 of each kind is in the ledger: (整治重点, 问题类别 of Attachment 2).
# The verifying officer may correct both on the form; these are what it starts from.
IMPLIED_CATEGORY = {
    "paid_after_death": ("3.2", "S03"),  # 虚报冒领
    "public_payroll": ("1.3", "S06"),  # 不该享受的违规享受 · 超范围超标准发放
    "one_person_many_cards": ("2.1", "S14"),  # 一人多卡 · 其他
    "one_card_many_people": ("3.2", "S03"),  # 用无关人员身份证件办卡 · 虚报冒领
    "above_standard": ("1.3", "S06"),
    "age_outside_band": ("1.3", "S06"),
    "paid_twice": ("1.3", "S06"),
    "village_mismatch": ("1.6", "S14"),  # 未及时核实更新补贴对象身份信息 · 其他
    "villages_across_rolls": ("3.2", "S03"),
    "household_type_outside": ("1.3", "S06"),  # 不符合条件享受 · 超范围超标准发放
}


def start_cases(session: Session, host: EngineHost, *, actor_name: str) -> int:
    """A 核实 case for every 疑点 of the campaign in progress that has none yet; the number
    started. Idempotent. An ended campaign's 疑点 stay as they were (read-only)."""
    waiting = list(
        session.scalars(
            select(Discrepancy.id)
            .where(
                Discrepancy.campaign_id == active_campaign(session).id,
                Discrepancy.case_id.is_(None),
                Discrepancy.status == Status.OPEN.value,
            )
            .order_by(Discrepancy.id)
        )
    )
    started = sum(1 for found_id in waiting if _start_one(session, host, found_id))
    if started:
        audit.record(
            session,
            "comparison.cases_started",
            actor_name=actor_name,
            target="discrepancy:*",
            cases=started,
        )
    return started


def _start_one(session: Session, host: EngineHost, found_id: int) -> bool:
    claimed = session.execute(
        update(Discrepancy)
        .where(
            Discrepancy.id == found_id,
            Discrepancy.case_id.is_(None),
            Discrepancy.status == Status.OPEN.value,
        )
        .values(status=Status.VERIFYING.value)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return False  # another run took it meanwhile
    found = session.scalars(
        select(Discrepancy)
        .where(Discrepancy.id == found_id)
        .execution_options(populate_existing=True)
    ).one()
    unit_id = found.township_id or session.get_one(RollRow, found.first_row_id).township_id
    due = clock.local_now().date() + timedelta(days=VERIFY_DAYS)
    case = cases.start_case(
        session,
        host,
        PROCESS_KEY,
        data={
            "discrepancy_id": found.id,
            "rule": found.rule.code,
            "verify_due": due.isoformat(),
        },
        context=CaseContext(
            owning_unit_id=unit_id, subject_type="discrepancy", subject_id=found.id
        ),
        actor=SYSTEM,
    )
    found.case_id, found.verifying_unit_id = case.id, unit_id
    notifications.for_new_work(session, case.id)
    return True


def follow_case(_session: Session, found: Discrepancy, case: Case) -> None:
    found.case_id = case.id


def describe(found: Discrepancy, _case: Case) -> tuple[str, str]:
    return f"#{found.id}", f"{found.rule.code} {found.rule.name} · {found.period}"


def may_see(_session: Session, user: User, found: Discrepancy) -> bool:
    """The leading group office sees every 疑点's case; a township those it verifies."""
    if visibility.sees_whole_district(user):
        return True
    return found.verifying_unit_id is not None and any(
        r.unit_id == found.verifying_unit_id and r.role in UNIT_ROLES for r in user.roles
    )


def check_before(
    _session: Session, _user: User, _found: Discrepancy, item: WorkItem, data: Mapping[str, Any]
) -> None:
    """属实 needs the amount verified: the ledger counts a 数据比对 problem by its money."""
    if item.form_key != FORM_KEY or data.get("verdict") != "true":
        return
    amount = data.get("amount")
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidInput(
            fields={"amount": "涉及金额（元）：属实的疑点须填写核实确认的金额，且大于 0 元"}
        )


def take_up(
    session: Session,
    host: EngineHost,
    user: User,
    found: Discrepancy,
    form_key: str,
    data: Mapping[str, Any],
) -> None:
    """The verdict into the 疑点; a true one registered in the verifying unit's ledger."""
    if form_key != FORM_KEY:
        return
    found.findings = str(data["findings"])
    found.decided_at = clock.now()
    found.decided_by = user.username
    if data["verdict"] == "true":
        found.problem_id = _registered(session, host, user, found, data).id
        found.status = Status.CONFIRMED.value
    else:
        found.status = Status.REFUTED.value
    audit.record(
        session,
        "comparison.verified",
        actor=user,
        target=f"discrepancy:{found.id}",
        rule=found.rule.code,
        verdict=STATUS_LABELS[found.status],
        problem=found.problem_id,
    )


def _registered(
    session: Session, host: EngineHost, user: User, found: Discrepancy, data: Mapping[str, Any]
) -> Problem:
    unit = session.get_one(Unit, found.verifying_unit_id)
    amount = int(data["amount"])
    entry = {
        "source": "data_comparison",
        "village": data.get("village") or "",
        "programme": data["programme"],
        "focus_item": data["focus_item"],
        "stat_category": data["stat_category"],
        "description": f"{rows_named(session, found)}经核实属实：{data['findings']}",
        "amount": f"{amount // 100}.{amount % 100:02d}",
        "households": data.get("households"),
        "persons": data.get("persons"),
        "involved_names": data.get("involved_names") or "",
        "discovered_on": found.found_at.astimezone(clock.LOCAL_TZ).date().isoformat(),
    }
    return problems.register(session, host, user, unit.code, entry, source="comparison")


def row_ids(found: Discrepancy) -> list[int]:
    return [int(i) for i in found.row_ids.split(",") if i.strip()]


def rows_named(session: Session, found: Discrepancy) -> str:
    """数据比对疑点 #12（R01 死亡人员仍在领取，2022-06）：名册 a.csv 第 5、9 行 — the entry's
    link back to the roll rows, with no personal number in it."""
    named: dict[str, list[str]] = {}
    for file_name, row_no in session.execute(
        select(PaymentRoll.file_name, RollRow.row_no)
        .join(PaymentRoll, PaymentRoll.id == RollRow.roll_id)
        .where(RollRow.id.in_(row_ids(found)))
        .order_by(PaymentRoll.id, RollRow.row_no)
    ):
        named.setdefault(file_name, []).append(str(row_no))
    rows = "；".join(f"名册 {name} 第 {'、'.join(nos)} 行" for name, nos in named.items())
    return (
        f"数据比对疑点 #{found.id}（{found.rule.code} {found.rule.name}，{found.period}）：{rows}。"
    )


def prefill(session: Session, found: Discrepancy, form_key: str) -> dict[str, Any]:
    """The officer starts from what the rule found: programme, village, category, amount.
    No name: the page shows people masked until 查看完整号码."""
    if form_key != FORM_KEY:
        return {}
    focus, category = IMPLIED_CATEGORY.get(found.rule.kind, ("", ""))
    programme = session.get(Programme, found.programme_id) if found.programme_id else None
    village = session.get(Unit, found.village_id) if found.village_id else None
    return {
        "programme": programme.code if programme else "",
        "village": village.code if village else "",
        "focus_item": focus,
        "stat_category": category,
        "amount": f"{found.amount_fen // 100}.{found.amount_fen % 100:02d}",
        "persons": str(found.rows if found.rule.kind == "one_card_many_people" else 1),
    }


def masked_names(session: Session, found: Discrepancy) -> str:
    names = session.scalars(select(RollRow.name).where(RollRow.id.in_(row_ids(found))))
    return "、".join(sorted({masked_name(name) for name in names}))
