"""Spot checks household by household (重点抽查逐户核查).

The township's spot-check report draws its sample when it falls due (campaign.obligations,
at least 5 households per village, seeded). The sample is shown to the township as a list
per village (on the report's task page, as a printable 名单 for the team and as a workbook);
the township's officers then record, household by household, what they found: visited or
not, who holds the household's card (一卡通), whether the amounts received match the payment
list, and whether there is a problem. A problem found becomes a ledger entry of the township
through the normal registration (campaign.problems.register), with source 重点抽查 and the
household's village. The report's two figures (实际抽查户数, 抽查发现问题数) are counted from
these results when the report is filled in, never typed; the report cannot be filled in
while a sampled household has no result.

The district's inspection team (区直检查专班) re-visits some of these households in a second
round ("district", campaign.key_check_revisits) with the same form and one question more."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import audit, problems, visibility
from campaign.current import ensure_open
from campaign.models import (
    Household,
    KeyCheck,
    Obligation,
    SpotCheckResult,
    SpotCheckSample,
    Unit,
    User,
)
from campaign.models.accounts import UNIT_ROLES, Role
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.host import CaseContext, EngineHost
from engine.models import WorkItem

SPOT_CHECK = "spot_check"
TOWNSHIP_ROUND = "township"
DISTRICT_ROUND = "district"
FORM_FOR = {TOWNSHIP_ROUND: "spot_check_household", DISTRICT_ROUND: "key_check_household"}
SOURCE_FOR = {TOWNSHIP_ROUND: "spot_check", DISTRICT_ROUND: "district_check"}
# The report a unit still owes may take results; once filed (已报) its sample is closed.
OPEN_STATUSES = ("open", "returned")
CARD_HOLDERS = {"household": "本人保管", "cadre": "干部或他人代管", "none": "无一卡通"}


@dataclass
class SampledHousehold:
    sample: SpotCheckSample
    household: Household
    result: SpotCheckResult | None = None
    recheck: SpotCheckResult | None = None


@dataclass
class VillageList:
    village: Unit
    households: list[SampledHousehold] = field(default_factory=list)

    @property
    def recorded(self) -> int:
        return sum(1 for h in self.households if h.result is not None)


@dataclass
class SampleSheet:
    obligation: Obligation
    villages: list[VillageList]

    @property
    def households(self) -> int:
        return sum(len(v.households) for v in self.villages)

    @property
    def recorded(self) -> int:
        return sum(v.recorded for v in self.villages)


def may_see(session: Session, user: User, obligation: Obligation) -> bool:
    """The township's officers and reviewers, the office, and the team checking it."""
    if visibility.sees_whole_district(user) or works_for(user, obligation.unit_id):
        return True
    teams = {r.unit_id for r in user.roles if r.role == Role.INSPECTOR.value}
    return bool(teams) and (
        session.scalar(
            select(KeyCheck.id).where(
                KeyCheck.township_id == obligation.unit_id,
                KeyCheck.campaign_id == obligation.campaign_id,
                KeyCheck.team_id.in_(teams),
            )
        )
        is not None
    )


def works_for(user: User, unit_id: int) -> bool:
    return any(r.unit_id == unit_id and r.role in UNIT_ROLES for r in user.roles)


def may_record(user: User, obligation: Obligation) -> bool:
    """The township's officers and reviewers, while the report is not filed."""
    return obligation.status in OPEN_STATUSES and works_for(user, obligation.unit_id)


def spot_check(session: Session, user: User, obligation_id: int) -> Obligation:
    obligation = session.get(Obligation, obligation_id)
    if (
        obligation is None
        or obligation.deadline_code != SPOT_CHECK
        or not may_see(session, user, obligation)
    ):
        raise NotFound("抽查报告不存在或无权查看")
    return obligation


def sheet(session: Session, obligation: Obligation, village_code: str = "") -> SampleSheet:
    """The sample, village by village (in the villages' order), each household with its
    results of both rounds."""
    query = (
        select(SpotCheckSample, Household, Unit)
        .join(Household, Household.id == SpotCheckSample.household_id)
        .join(Unit, Unit.id == SpotCheckSample.village_id)
        .where(SpotCheckSample.obligation_id == obligation.id)
        .order_by(Unit.sort_order, Unit.code, Household.code)
    )
    if village_code:
        query = query.where(Unit.code == village_code)
    rows = session.execute(query).tuples().all()
    results: dict[tuple[int, str], SpotCheckResult] = {
        (r.sample_id, r.round): r
        for r in session.scalars(
            select(SpotCheckResult).where(SpotCheckResult.sample_id.in_([s.id for s, *_ in rows]))
        )
    }
    villages: dict[int, VillageList] = {}
    for sample, household, village in rows:
        listed = villages.setdefault(village.id, VillageList(village))
        listed.households.append(
            SampledHousehold(
                sample,
                household,
                results.get((sample.id, TOWNSHIP_ROUND)),
                results.get((sample.id, DISTRICT_ROUND)),
            )
        )
    return SampleSheet(obligation, list(villages.values()))


def sampled_household(session: Session, obligation: Obligation, sample_id: int) -> SampledHousehold:
    sample = session.get(SpotCheckSample, sample_id)
    if sample is None or sample.obligation_id != obligation.id:
        raise NotFound("该户不在本次抽查名单中")
    results = session.scalars(select(SpotCheckResult).where(SpotCheckResult.sample_id == sample.id))
    found = {r.round: r for r in results}
    return SampledHousehold(
        sample, sample.household, found.get(TOWNSHIP_ROUND), found.get(DISTRICT_ROUND)
    )


def record_result(
    session: Session,
    host: EngineHost,
    user: User,
    obligation_id: int,
    sample_id: int,
    data: Mapping[str, Any],
    *,
    round: str = TOWNSHIP_ROUND,
) -> SpotCheckResult:
    """One household's result, once per round; a problem found is registered in the
    township's ledger in the same transaction."""
    obligation = spot_check(session, user, obligation_id)
    ensure_open(session, obligation.campaign_id)
    # Two results for one household arriving together wait here for each other.
    session.execute(
        select(Obligation.id).where(Obligation.id == obligation.id).with_for_update()
    ).all()
    if round == TOWNSHIP_ROUND:
        if not works_for(user, obligation.unit_id):
            raise NotAllowed("只有本乡镇的经办人、负责人可以登记抽查结果")
        if obligation.status not in OPEN_STATUSES:
            raise Conflict("抽查报告已报送，核查结果不能再登记或修改")
    listed = sampled_household(session, obligation, sample_id)
    earlier = listed.result if round == TOWNSHIP_ROUND else listed.recheck
    if earlier is not None:
        raise Conflict(f"户主 {listed.household.head_name} 的核查结果已经登记，不能重复登记")
    context = CaseContext(owning_unit_id=obligation.unit_id, subject_type="obligation")
    clean = host.clean_submission(session, FORM_FOR[round], data, context)
    check_consistent(clean)
    village = session.get(Unit, listed.sample.village_id)
    assert village is not None
    result = SpotCheckResult(
        sample_id=listed.sample.id,
        round=round,
        visited=clean["visited"] == "yes",
        visited_on=date.fromisoformat(clean["visited_on"]),
        card_holder=clean.get("card_holder") or "",
        amounts_as_listed=yes_no(clean.get("amounts_as_listed")),
        problem_found=clean["problem_found"] == "yes",
        agrees=yes_no(clean.get("agrees")),
        note=clean.get("note") or "",
        recorded_by=user.id,
    )
    if result.problem_found:
        result.problem_id = register_found(
            session, host, user, obligation, village, listed.household, clean, round
        ).id
    session.add(result)
    session.flush()
    audit.record(
        session,
        "spot_check.result",
        actor=user,
        target=f"obligation:{obligation.id}",
        household=listed.household.code,
        round=round,
        problem=result.problem_id,
    )
    return result


def yes_no(value: Any) -> bool | None:
    return None if not value else value == "yes"


def check_consistent(clean: Mapping[str, Any]) -> None:
    """What the form alone cannot say: a card held by someone else or money that does not
    match the list is a problem; a household not visited needs the reason."""
    refused: dict[str, str] = {}
    if clean["visited"] == "no":
        if not clean.get("note"):
            refused["note"] = "核查情况说明：未能入户的，请写明原因"
        if clean.get("card_holder") or clean.get("amounts_as_listed"):
            refused["visited"] = "入户情况：未能入户的，不能登记一卡通保管和到户金额情况"
    elif clean["problem_found"] == "no" and (
        clean.get("card_holder") == "cadre" or clean.get("amounts_as_listed") == "no"
    ):
        refused["problem_found"] = (
            "是否发现问题：一卡通由干部或他人代管、或到户金额与清单不一致的，应登记为发现问题"
        )
    if refused:
        raise InvalidInput(fields=refused)


def register_found(
    session: Session,
    host: EngineHost,
    user: User,
    obligation: Obligation,
    village: Unit,
    household: Household,
    clean: Mapping[str, Any],
    round: str,
) -> Any:
    amount = clean.get("amount")
    who = "区直检查专班复核" if round == DISTRICT_ROUND else "重点抽查"
    entry = {
        "source": SOURCE_FOR[round],
        "village": village.code,
        "programme": clean["programme"],
        "focus_item": clean["focus_item"],
        "stat_category": clean["stat_category"],
        # The household's number, not its head's name: the description may be drafted
        # into the public text.
        "description": f"{who}抽查户 {household.code}：{clean['description']}",
        "amount": f"{amount // 100}.{amount % 100:02d}" if amount else "",
        "households": 1,
        "cards": 1 if clean.get("card_holder") == "cadre" else None,
        "discovered_on": clean["visited_on"],
    }
    township = session.get(Unit, obligation.unit_id)
    assert township is not None
    try:
        return problems.register(session, host, user, township.code, entry, source="spot_check")
    except InvalidInput as refused:
        # The ledger's rules name the register form's fields: those this form lacks are
        # told about the form as a whole.
        asked = set(clean) | {"programme", "focus_item", "stat_category", "amount"}
        fields = {k: v for k, v in refused.fields.items() if k in asked}
        rest = [v for k, v in refused.fields.items() if k not in asked]
        if rest or not refused.fields:
            fields[""] = "；".join(rest) or str(refused)
        raise InvalidInput(fields=fields) from None


def figures(session: Session, obligation: Obligation) -> tuple[int, int]:
    """(households visited, problems found) of the township's own round."""
    visited, found = session.execute(
        select(
            func.count().filter(SpotCheckResult.visited.is_(True)),
            func.count().filter(SpotCheckResult.problem_found.is_(True)),
        )
        .join(SpotCheckSample, SpotCheckSample.id == SpotCheckResult.sample_id)
        .where(
            SpotCheckSample.obligation_id == obligation.id,
            SpotCheckResult.round == TOWNSHIP_ROUND,
        )
    ).one()
    return int(visited or 0), int(found or 0)


def unrecorded(session: Session, obligation: Obligation) -> int:
    """Sampled households without the township's result yet."""
    recorded = select(SpotCheckResult.sample_id).where(SpotCheckResult.round == TOWNSHIP_ROUND)
    return (
        session.scalar(
            select(func.count())
            .select_from(SpotCheckSample)
            .where(
                SpotCheckSample.obligation_id == obligation.id,
                SpotCheckSample.id.not_in(recorded),
            )
        )
        or 0
    )


def check_before(
    session: Session, _user: User, obligation: Obligation, item: WorkItem, _data: Mapping[str, Any]
) -> None:
    """The report is filled in once every sampled household has its result."""
    if item.form_key != "spot_check_report":
        return
    missing = unrecorded(session, obligation)
    if missing:
        raise InvalidInput(
            f"还有 {missing} 户抽查户未登记核查结果：请在抽查名单中逐户登记后再填报",
            fields={"": f"还有 {missing} 户抽查户未登记核查结果，请逐户登记后再填报"},
        )
