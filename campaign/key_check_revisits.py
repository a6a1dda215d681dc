"""区直检查专班 re-visits: the team assigned to check a township visits again some of the
households the township's spot check already visited (2 per village, seeded by the
township's sample seed and the check, so the same check always names the same households),
records what it finds with the township's own form and one question more (does it agree with
the township's result?), and rates the township's self-inspection when it reports the check.

A household the team finds differently, and the rating, say how far the township's own
checks can be trusted; the office reads both beside the weak-township scores."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import KeyCheck, Obligation, SpotCheckResult, User
from campaign.models.accounts import Role
from campaign.spot_checks import (
    DISTRICT_ROUND,
    SPOT_CHECK,
    SampledHousehold,
    record_result,
    sheet,
    spot_check,
)
from core.errors import NotAllowed, NotFound
from engine.host import EngineHost

REVISIT_PER_VILLAGE = 2
RATINGS = {"good": "好", "fair": "较好", "average": "一般", "poor": "差"}


def spot_check_of(session: Session, check: KeyCheck) -> Obligation | None:
    """The township's spot-check report in the check's campaign."""
    return session.scalar(
        select(Obligation).where(
            Obligation.campaign_id == check.campaign_id,
            Obligation.unit_id == check.township_id,
            Obligation.deadline_code == SPOT_CHECK,
        )
    )


def to_revisit(session: Session, check: KeyCheck) -> list[SampledHousehold]:
    """The households the team re-visits: of each village, REVISIT_PER_VILLAGE of those the
    township visited (all when fewer), drawn reproducibly."""
    obligation = spot_check_of(session, check)
    if obligation is None:
        return []
    chosen: list[SampledHousehold] = []
    for listed in sheet(session, obligation).villages:
        visited = [h for h in listed.households if h.result is not None and h.result.visited]
        seed = f"{obligation.sample_seed}:{check.id}:{listed.village.code}"
        rng = random.Random(seed)  # noqa: S311 (a sample, not a secret)
        chosen += rng.sample(visited, min(REVISIT_PER_VILLAGE, len(visited)))
    return chosen


def check_for(session: Session, user: User, obligation: Obligation) -> KeyCheck:
    """The key check of the report's township by one of the person's teams."""
    teams = {r.unit_id for r in user.roles if r.role == Role.INSPECTOR.value}
    check = session.scalar(
        select(KeyCheck).where(
            KeyCheck.campaign_id == obligation.campaign_id,
            KeyCheck.township_id == obligation.unit_id,
            KeyCheck.team_id.in_(teams),
        )
    )
    if check is None:
        raise NotAllowed("只有被安排检查本乡镇的区直检查专班可以复核抽查户")
    return check


def record(
    session: Session,
    host: EngineHost,
    user: User,
    obligation_id: int,
    sample_id: int,
    data: Mapping[str, Any],
) -> SpotCheckResult:
    obligation = spot_check(session, user, obligation_id)
    check = check_for(session, user, obligation)
    if check.status == "done":
        raise NotAllowed("重点检查已完成，不能再复核抽查户")
    if sample_id not in {h.sample.id for h in to_revisit(session, check)}:
        raise NotFound("该户不在本次复核名单中")
    return record_result(session, host, user, obligation.id, sample_id, data, round=DISTRICT_ROUND)


def apply_report(check: KeyCheck, form_key: str, data: Mapping[str, Any]) -> None:
    """The team's report rates the township's self-inspection."""
    if form_key == "key_check_report" and data.get("self_inspection_rating"):
        check.rating = RATINGS.get(str(data["self_inspection_rating"]), "")
        check.rating_note = str(data.get("rating_note") or "")
