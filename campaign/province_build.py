"""`ykt demo province`: the demo province built in one transaction (all or nothing).

The steps, each reported as it ends: the reference data, shipped diagrams and demo accounts
(bootstrap); the province's units and township accounts (campaign.province); one real run per
lifecycle stage and story (campaign.province_templates); then the ledger's
copies, written with COPY into tables whose indexes and constraints are made again after the
load (core.bulk_indexes). Refused on a database that already holds cases or entries unless
the caller says so, and on SQLite above a small scale."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import audit, bootstrap, province
from campaign.models import Problem
from campaign.province_ledger import ENTRIES, build_ledger
from campaign.province_templates import STAGES, make_patterns
from campaign.workflow_host import CampaignHost
from core import bulk_indexes
from core.errors import Conflict, InvalidInput
from engine.models import Case

# Above this a SQLite file would take hours and gigabytes; the province is for PostgreSQL.
SQLITE_LARGEST_SCALE = 0.02
LOADED_TABLES = (
    "problem",
    "case_instance",
    "work_item",
    "case_event",
    "case_timer",
    "case_message_wait",
    "attachment",
)

Say = Callable[[str], None]


@dataclass
class Built:
    entries: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    phases: list[tuple[str, float]] = field(default_factory=list)


def scale_refusal(session: Session, scale: float) -> str | None:
    """Why a province of this scale cannot be built on this database, or None."""
    if not 0 < scale <= 1:
        return "规模（--scale）须大于 0 且不大于 1"
    if session.get_bind().dialect.name == "sqlite" and scale > SQLITE_LARGEST_SCALE:
        return (
            f"SQLite 只能建立小规模的示例省（--scale 不大于 {SQLITE_LARGEST_SCALE}）；"
            "完整规模（百万条台账、千万条任务记录）请使用 PostgreSQL"
        )
    return None


def data_refusal(session: Session, *, force: bool) -> str | None:
    """Why the province may not be added to what the database holds, or None."""
    if province.exists(session):
        return "数据库中已有示例省，不能重复建立"
    if force:
        return None
    cases = session.scalar(select(func.count()).select_from(Case)) or 0
    entries = session.scalar(select(func.count()).select_from(Problem)) or 0
    if cases or entries:
        return (
            f"数据库不是空的（已有问题台账 {entries} 条、流程案件 {cases} 个）；"
            "示例省应建在新的空数据库上，确要加入现有数据请加 --force"
        )
    return None


def build(
    session: Session, data_dir: Path, scale: float, *, force: bool = False, say: Say = print
) -> Built:
    if (refused := scale_refusal(session, scale)) is not None:
        raise InvalidInput(refused)
    if (refused := data_refusal(session, force=force)) is not None:
        raise Conflict(refused)
    built = Built()
    clock_started = time.monotonic()
    last = clock_started

    def phase(name: str) -> None:
        nonlocal last
        now = time.monotonic()
        built.phases.append((name, now - last))
        say(f"—— {name}完成：{now - last:.1f} 秒（累计 {now - clock_started:.1f} 秒）")
        last = now

    bootstrap.initialise(session, with_demo=True, data_dir=None, deployed_by="ykt demo province")
    phase("基础数据")
    made = province.build_units(session, scale, say)
    phase("单位与账户")
    host = CampaignHost()
    patterns = make_patterns(session, host, data_dir, made, say)
    templates = sum(len(these) for these in patterns)
    phase("各阶段模板")
    copies = max(len(STAGES), round(ENTRIES * scale)) - templates
    with bulk_indexes.set_aside(session, LOADED_TABLES):
        built.rows = build_ledger(session, made, patterns, max(copies, 0), say)
        phase("台账与任务记录写入")
        say("重建索引与约束……")
    phase("重建索引与约束")
    built.entries = templates + max(copies, 0)
    audit.record(
        session,
        "demo.province",
        target=f"unit:{province.PROVINCE_CODE}",
        scale=scale,
        entries=built.entries,
    )
    return built
