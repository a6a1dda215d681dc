"""Comparisons asked for on the 数据比对 page: queued, then worked through by the scheduler
(campaign.jobs.run_queued_comparisons), one rule per transaction, so the page can show how
far a long run has got (rules done of all, the rule at hand, 疑点 raised, cases started).

Each rule's new 疑点 and their 核实 cases are committed with its progress: a run stopped
half-way keeps what it found, and running again finds nothing twice (the 疑点 keys) and
starts no second case (campaign.comparison.verification)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaign import audit
from campaign.comparison import rules, verification
from campaign.comparison.run import run_rule, scope_of
from campaign.current import active_campaign, shown_id
from campaign.models import ComparisonRun, Programme, User
from campaign.models.accounts import Role
from core import clock
from core.db import Database
from core.errors import Conflict, NotAllowed
from engine.host import EngineHost
from engine.runner import unit_of_work

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUS_LABELS = {QUEUED: "排队中", RUNNING: "运行中", DONE: "已完成", FAILED: "失败"}
# A run no scheduler has moved for this long was interrupted (the process stopped).
STALE_AFTER = timedelta(minutes=30)


def may_run(user: User) -> bool:
    return user.has_role(Role.SUPERVISOR.value) or user.has_role(Role.ADMIN.value)


def queue(
    session: Session, user: User, *, programme_code: str | None, period: str | None
) -> ComparisonRun:
    """Ask for a comparison; refused while another one is queued or running."""
    if not may_run(user):
        raise NotAllowed("只有领导小组办公室或系统管理员可以运行数据比对")
    programme, scope = scope_of(session, programme_code or None, period or None)
    busy = session.scalar(
        select(ComparisonRun).where(ComparisonRun.status.in_([QUEUED, RUNNING])).limit(1)
    )
    if busy is not None and not _stale(busy):
        raise Conflict(f"已有一次比对{STATUS_LABELS[busy.status]}（第 {busy.id} 次），请待其完成")
    if busy is not None:
        busy.status, busy.message = FAILED, "运行中断（进程停止），请重新运行"
    run = ComparisonRun(
        campaign_id=programme.campaign_id if programme else active_campaign(session).id,
        programme_id=programme.id if programme else None,
        period=scope.period,
        status=QUEUED,
        rules_total=len(rules.all_rules(session)),
        requested_by=user.username,
        requested_at=clock.now(),
        current_rule="",
        message="",
    )
    session.add(run)
    session.flush()
    audit.record(
        session,
        "comparison.run_queued",
        actor=user,
        target=f"comparison_run:{run.id}",
        programme=programme.code if programme else "*",
        period=scope.period or "*",
    )
    return run


def _stale(run: ComparisonRun) -> bool:
    return clock.now() - run.requested_at > STALE_AFTER and run.finished_at is None


def latest(session: Session, campaign_id: int | None = None) -> ComparisonRun | None:
    return session.scalar(
        select(ComparisonRun)
        .where(ComparisonRun.campaign_id == shown_id(session, campaign_id))
        .order_by(ComparisonRun.id.desc())
        .limit(1)
    )


def scope_label(session: Session, run: ComparisonRun) -> str:
    programme = session.get(Programme, run.programme_id) if run.programme_id else None
    return f"{programme.name if programme else '全部项目'} · {run.period or '全部期间'}"


def work_queued(database: Database, host: EngineHost) -> int:
    """Work through every queued run (the scheduler's job); the number of runs done."""
    done = 0
    while (run_id := _claim_next(database, host)) is not None:
        _work(database, host, run_id)
        done += 1
    return done


def _claim_next(database: Database, host: EngineHost) -> int | None:
    with unit_of_work(database, host) as session:
        for run_id in session.scalars(
            select(ComparisonRun.id)
            .where(ComparisonRun.status == QUEUED)
            .order_by(ComparisonRun.id)
        ):
            claimed = session.execute(
                update(ComparisonRun)
                .where(ComparisonRun.id == run_id, ComparisonRun.status == QUEUED)
                .values(status=RUNNING)
            )
            if getattr(claimed, "rowcount", 0) == 1:
                return int(run_id)
    return None


def _work(database: Database, host: EngineHost, run_id: int) -> None:
    found_at = clock.now()
    try:
        with unit_of_work(database, host) as session:
            codes = [rule.code for rule in rules.all_rules(session)]
            session.get_one(ComparisonRun, run_id).rules_total = len(codes)
        for code in codes:
            with unit_of_work(database, host) as session:
                run = session.get_one(ComparisonRun, run_id)
                rule = rules.find(session, code)
                run.current_rule = f"{rule.code} {rule.name}"
                if rule.enabled:
                    programme = (
                        session.get(Programme, run.programme_id) if run.programme_id else None
                    )
                    _, scope = scope_of(session, programme.code if programme else None, run.period)
                    run.raised += run_rule(session, rule, scope, found_at)
                    run.cases_started += verification.start_cases(
                        session, host, actor_name=run.requested_by
                    )
                run.rules_done += 1
        with unit_of_work(database, host) as session:
            run = session.get_one(ComparisonRun, run_id)
            run.status, run.current_rule, run.finished_at = DONE, "", clock.now()
            audit.record(
                session,
                "comparison.run",
                actor_name=run.requested_by,
                target=f"comparison_run:{run.id}",
                raised=run.raised,
                cases=run.cases_started,
            )
    except Exception as failure:
        with database.transaction() as session:
            run = session.get_one(ComparisonRun, run_id)
            run.status, run.finished_at = FAILED, clock.now()
            run.message = f"运行失败：{type(failure).__name__}"
        raise
