"""Correcting a household's recorded result (更正核查结果).

A result is recorded once (campaign.spot_checks); a mistake found afterwards is corrected, not
recorded again, and only while the result can still change what is reported: the township's
result while its report is not filed (a filed report is returned by the office first, through
报送管理), the team's re-visit while its key check is not done. Every correction needs its
reason; the result keeps how often, by whom and when it was last corrected and why, and the
audit log keeps what it said before each correction.

A ledger entry registered from the result is not undone by a correction: it has its own
lifecycle. A result with a live entry cannot be corrected to 未发现问题 (the entry is voided
in the ledger first, 作废); a correction to 发现问题 registers an entry when the result has
none (or only a voided one). The report's figures follow, since they are counted from the
results."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, key_check_revisits, spot_checks
from campaign.current import ensure_open
from campaign.models import Obligation, SpotCheckResult, Unit, User
from core import clock
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.host import CaseContext, EngineHost

REASON = "correction_reason"
REASON_LIMIT = 500
# What a correction may change, in the order the audit record lists them.
CORRECTABLE = (
    "visited",
    "visited_on",
    "card_holder",
    "amounts_as_listed",
    "problem_found",
    "agrees",
    "note",
)


def correct(
    session: Session,
    host: EngineHost,
    user: User,
    obligation_id: int,
    sample_id: int,
    data: Mapping[str, Any],
    *,
    round: str = spot_checks.TOWNSHIP_ROUND,
) -> SpotCheckResult:
    """Correct the household's result of this round with the form's values and a reason."""
    obligation = spot_checks.spot_check(session, user, obligation_id)
    ensure_open(session, obligation.campaign_id)  # an ended campaign's results are kept as they are
    # A correction and a recording of the same household wait for each other here.
    session.execute(
        select(Obligation.id).where(Obligation.id == obligation.id).with_for_update()
    ).all()
    _check_may_correct(session, user, obligation, sample_id, round)
    listed = spot_checks.sampled_household(session, obligation, sample_id)
    result = listed.result if round == spot_checks.TOWNSHIP_ROUND else listed.recheck
    if result is None:
        raise Conflict(f"户主 {listed.household.head_name} 尚未登记核查结果，请先登记")
    reason, clean = _cleaned(session, host, obligation, data, round, result)
    before = _values(result)
    _apply(result, clean)
    after = _values(result)
    live = result.problem if result.problem and result.problem.voided_at is None else None
    if before == after and not (result.problem_found and live is None):
        raise InvalidInput(fields={"": "填写的核查结果与已登记的相同，没有需要更正的内容"})
    if result.problem_found and live is None:
        village = session.get(Unit, listed.sample.village_id)
        assert village is not None
        result.problem = spot_checks.register_found(
            session, host, user, obligation, village, listed.household, clean, round
        )
    result.corrections += 1
    result.corrected_by = user.id
    result.corrected_at = clock.now()
    result.correction_reason = reason
    session.flush()
    audit.record(
        session,
        "spot_check.result_corrected",
        actor=user,
        target=f"obligation:{obligation.id}",
        household=listed.household.code,
        round=round,
        before=before,
        after=after,
        reason=reason,
        problem=result.problem_id,
    )
    return result


def may_correct(
    session: Session, user: User, obligation: Obligation, sample_id: int, round: str
) -> bool:
    """Whether the page offers the correction form (the service checks again under the lock)."""
    try:
        _check_may_correct(session, user, obligation, sample_id, round)
    except (NotAllowed, NotFound, Conflict):
        return False
    return True


def _check_may_correct(
    session: Session, user: User, obligation: Obligation, sample_id: int, round: str
) -> None:
    if round == spot_checks.DISTRICT_ROUND:
        check = key_check_revisits.check_for(session, user, obligation)
        if check.status == "done":
            raise NotAllowed("重点检查已完成，复核结果不能再更正")
        if sample_id not in {h.sample.id for h in key_check_revisits.to_revisit(session, check)}:
            raise NotFound("该户不在本次复核名单中")
        return
    if not spot_checks.works_for(user, obligation.unit_id):
        raise NotAllowed("只有本乡镇的经办人、负责人可以更正抽查结果")
    if obligation.status not in spot_checks.OPEN_STATUSES:
        raise Conflict("抽查报告已报送，核查结果不能再更正；确需更正的，请区专项办先退回报告")


def _cleaned(
    session: Session,
    host: EngineHost,
    obligation: Obligation,
    data: Mapping[str, Any],
    round: str,
    result: SpotCheckResult,
) -> tuple[str, dict[str, Any]]:
    """The reason and the form's values, every refusal at once, field by field."""
    refused: dict[str, str] = {}
    reason = str(data.get(REASON) or "").strip()
    if not reason:
        refused[REASON] = "更正原因：请写明更正的原因"
    elif len(reason) > REASON_LIMIT:
        refused[REASON] = f"更正原因：不能超过 {REASON_LIMIT} 个字"
    context = CaseContext(owning_unit_id=obligation.unit_id, subject_type="obligation")
    clean: dict[str, Any] = {}
    try:
        clean = host.clean_submission(
            session,
            spot_checks.FORM_FOR[round],
            {k: v for k, v in data.items() if k != REASON},
            context,
        )
        spot_checks.check_consistent(clean)
    except InvalidInput as invalid:
        refused.update(invalid.fields or {"": str(invalid)})
    live = result.problem if result.problem and result.problem.voided_at is None else None
    if clean and live is not None and clean["problem_found"] != "yes":
        refused["problem_found"] = (
            f"是否发现问题：该户已登记问题台账 {live.number}；如系误登，"
            "请先在问题台账中申请作废该问题，再更正为未发现问题"
        )
    if refused:
        raise InvalidInput(fields=refused)
    return reason, clean


def _apply(result: SpotCheckResult, clean: Mapping[str, Any]) -> None:
    result.visited = clean["visited"] == "yes"
    result.visited_on = date.fromisoformat(clean["visited_on"])
    result.card_holder = clean.get("card_holder") or ""
    result.amounts_as_listed = spot_checks.yes_no(clean.get("amounts_as_listed"))
    result.problem_found = clean["problem_found"] == "yes"
    result.agrees = spot_checks.yes_no(clean.get("agrees"))
    result.note = clean.get("note") or ""


def _values(result: SpotCheckResult) -> dict[str, Any]:
    return {name: getattr(result, name) for name in CORRECTABLE}


def form_values(result: SpotCheckResult) -> dict[str, str]:
    """The correction form filled in with what was recorded, and with its live entry's
    programme, categories, description and amount (a correction does not change the entry)."""

    def choice(value: bool | None) -> str:
        return "" if value is None else ("yes" if value else "no")

    entry: dict[str, str] = {}
    problem = result.problem
    if problem is not None and problem.voided_at is None:
        entry = {
            "programme": problem.programme.code,
            "focus_item": problem.focus_item.code,
            "stat_category": problem.stat_category.code,
            # registered as "重点抽查抽查户 H…：what was found"
            "description": problem.description.partition("：")[2] or problem.description,
            "amount": problem.amount_yuan if problem.amount_fen else "",
        }
    return entry | {
        "visited": choice(result.visited),
        "visited_on": result.visited_on.isoformat(),
        "card_holder": result.card_holder,
        "amounts_as_listed": choice(result.amounts_as_listed),
        "problem_found": choice(result.problem_found),
        "agrees": choice(result.agrees),
        "note": result.note,
    }
