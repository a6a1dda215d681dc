"""The spot-check sample as people read it: the words for each recorded result, and the
workbook of the 抽查名单 (one sheet per village) for the team to take along."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from campaign import audit
from campaign.models import SpotCheckResult, User
from campaign.spot_checks import CARD_HOLDERS, SampleSheet
from forms.tables.spot_check_sample import SampleLine, VillageSheet, write_sample


def visited_label(result: SpotCheckResult | None) -> str:
    if result is None:
        return "未登记"
    return "已入户" if result.visited else "未能入户"


def card_label(result: SpotCheckResult | None) -> str:
    return CARD_HOLDERS.get(result.card_holder, "") if result is not None else ""


def amounts_label(result: SpotCheckResult | None) -> str:
    if result is None or result.amounts_as_listed is None:
        return ""
    return "一致" if result.amounts_as_listed else "不一致"


def problem_label(result: SpotCheckResult | None) -> str:
    if result is None:
        return ""
    return "发现问题" if result.problem_found else "未发现"


def export(session: Session, user: User, sheet: SampleSheet, target: str | Path | BinaryIO) -> int:
    """The sample as a workbook, one sheet per village; the download is in the audit log."""
    obligation = sheet.obligation
    villages = [
        VillageSheet(
            name=listed.village.name,
            title=(
                f"{obligation.unit.name}{listed.village.name}重点抽查名单"
                f"（{len(listed.households)} 户，随机种子 {obligation.sample_seed}）"
            ),
            lines=[
                SampleLine(
                    code=h.household.code,
                    head_name=h.household.head_name,
                    members=h.household.members,
                    visited=visited_label(h.result),
                    card_holder=card_label(h.result),
                    amounts=amounts_label(h.result),
                    problem=problem_label(h.result),
                    problem_number=(
                        h.result.problem.number if h.result and h.result.problem else ""
                    ),
                    note=h.result.note if h.result else "",
                )
                for h in listed.households
            ],
        )
        for listed in sheet.villages
    ]
    written = write_sample(villages, target)
    audit.record(
        session,
        "data.export",
        actor=user,
        target=f"obligation:{obligation.id}",
        table="spot_check_sample",
        rows=written,
    )
    return written
