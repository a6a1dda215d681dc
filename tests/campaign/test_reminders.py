"""Reminders and escalation by the policy: each offset fires once, at its time, to its people,
saying which problem, unit, step and deadline; late starts skip stale reminders; batches page
through many due tasks; two schedulers at once send each reminder once."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaign import bootstrap, jobs, problems, reminder_policy, reminders
from campaign.models import Notification, Problem, ReminderSent, Unit
from campaign.reminder_policy import Policy
from campaign.workflow_host import CampaignHost
from core import bulk, clock, schema
from core.db import Database
from core.errors import InvalidInput
from engine.models import WorkItem
from tests.campaign.conftest import approval, do, open_step, registration, user
from tests.databases import fresh_database_url

POLICY: dict[str, Any] = {
    "steps": [
        {
            "process": "*",
            "step": "*",
            "reminders": [
                {"offset": "-3d", "to": ["assignees"]},
                {"offset": "-1d", "to": ["assignees"]},
                {"offset": "0", "to": ["assignees"]},
                {"offset": "+1d", "to": ["assignees", "unit_head"]},
                {"offset": "+3d", "to": ["office"]},
            ],
        },
        # Registration reviews are not reminded at all: the (process, step) entry wins.
        {"process": "problem_lifecycle", "step": "review_registration", "reminders": []},
    ],
    "channels": {"email": ["remind", "overdue"]},
}


def local(text: str) -> datetime:
    """A Beijing time, e.g. "2022-06-22 09:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=clock.LOCAL_TZ)


def rectifying(session: Session, host: CampaignHost, deadline: str = "2022-06-25") -> Problem:
    problem = problems.register(session, host, user(session, "qsz_jbr"), "QSZ", registration())
    do(session, host, "qsz_fzr", problem, approval(deadline=deadline))
    return problem


def told(session: Session, item_id: int) -> list[tuple[str, str, str]]:
    rows = session.execute(
        select(Notification.kind, Notification.text, Notification.user_id)
        .where(Notification.work_item_id == item_id, ~Notification.kind.in_(["assigned"]))
        .order_by(Notification.id)
    )
    names = {u: user_name for u, user_name in _usernames(session)}
    return [(kind, text, names[user_id]) for kind, text, user_id in rows]


def _usernames(session: Session) -> list[tuple[int, str]]:
    from campaign.models import User

    return list(session.execute(select(User.id, User.username)).tuples())


def tick(session: Session, policy: Policy, at: str) -> int:
    clock.freeze(local(at))
    return reminders.send(session, policy).sent


def test_each_offset_fires_once_at_its_time_to_its_people(
    db_session: Session, host: CampaignHost
) -> None:
    policy = reminder_policy.parse(POLICY)
    problem = rectifying(db_session, host)
    step = open_step(db_session, problem)
    assert step.bpmn_id == "rectify"
    assert tick(db_session, policy, "2022-06-21 23:59") == 0  # four days before: nothing
    assert tick(db_session, policy, "2022-06-22 00:00") == 1  # -3d, from midnight
    assert tick(db_session, policy, "2022-06-22 18:00") == 0  # once
    assert tick(db_session, policy, "2022-06-24 08:00") == 1  # -1d
    assert tick(db_session, policy, "2022-06-25 08:00") == 1  # the day itself
    assert tick(db_session, policy, "2022-06-25 23:00") == 0
    assert tick(db_session, policy, "2022-06-26 00:00") == 1  # +1d: late
    assert tick(db_session, policy, "2022-06-27 12:00") == 0
    assert tick(db_session, policy, "2022-06-28 00:00") == 1  # +3d: the office
    assert tick(db_session, policy, "2022-07-30 00:00") == 0  # nothing more, ever
    notices = told(db_session, step.id)
    assert [(kind, who) for kind, _text, who in notices] == [
        ("remind-3d", "qsz_jbr"),
        ("remind-1d", "qsz_jbr"),
        ("remind0", "qsz_jbr"),
        ("overdue+1d", "qsz_jbr"),
        ("overdue+1d", "qsz_fzr"),
        ("overdue+3d", "ldxz_ban"),
    ]
    texts = [text for _kind, text, _who in notices]
    head = f"问题 {problem.number}（青山镇）“整改落实，提交佐证”"
    assert all(text.startswith(head) for text in texts), texts
    assert texts[0] == f"{head}将于 2022-06-25 到期，还有 3 天，请抓紧办理"
    assert texts[2] == f"{head}今天（2022-06-25）到期，请抓紧办理"
    assert texts[3] == f"{head}已逾期 1 天（办理期限 2022-06-25），请尽快办理"
    assert texts[4] == f"{head}已逾期 1 天（办理期限 2022-06-25），请督促办理"
    assert texts[5] == f"{head}已逾期 3 天（办理期限 2022-06-25），请督促办理"
    keys = db_session.scalars(
        select(ReminderSent.offset_key).where(ReminderSent.work_item_id == step.id)
    ).all()
    assert sorted(keys) == sorted(["-3d", "-1d", "0", "+1d", "+3d"])


def test_a_task_met_late_skips_the_stale_reminders_but_not_the_escalations(
    db_session: Session, host: CampaignHost
) -> None:
    """A scheduler that was down (or a task whose deadline is near when it starts) does not
    say "3 days left" on the last day; every escalation after the deadline still goes out."""
    policy = reminder_policy.parse(POLICY)
    step = open_step(db_session, rectifying(db_session, host))
    assert tick(db_session, policy, "2022-06-24 10:00") == 1
    assert tick(db_session, policy, "2022-06-29 10:00") == 2  # +1d and +3d together
    assert tick(db_session, policy, "2022-06-30 10:00") == 0
    kinds = [kind for kind, _t, _w in told(db_session, step.id)]
    assert "remind-3d" not in kinds and "remind0" not in kinds
    assert kinds.count("remind-1d") == 1 and "overdue+1d" in kinds and "overdue+3d" in kinds


def test_a_claimed_task_reminds_its_claimant_and_no_other_officer(
    db_session: Session, host: CampaignHost
) -> None:
    from campaign import accounts

    accounts.create_user(db_session, "qsz_jbr2", "Bench-Pass-2022", unit_code="QSZ", role="officer")
    policy = reminder_policy.parse(POLICY)
    step = open_step(db_session, rectifying(db_session, host))
    assert tick(db_session, policy, "2022-06-22 09:00") == 1
    both = {who for _k, _t, who in told(db_session, step.id)}
    assert both == {"qsz_jbr", "qsz_jbr2"}
    step.claimed_by = user(db_session, "qsz_jbr2").id
    assert tick(db_session, policy, "2022-06-24 09:00") == 1
    last = [who for kind, _t, who in told(db_session, step.id) if kind == "remind-1d"]
    assert last == ["qsz_jbr2"]


def test_steps_the_policy_leaves_out_are_never_reminded(
    db_session: Session, host: CampaignHost
) -> None:
    policy = reminder_policy.parse(POLICY)
    problem = problems.register(
        db_session, host, user(db_session, "qsz_jbr"), "QSZ", registration()
    )
    review = open_step(db_session, problem)
    review.due_at = local("2022-06-20 18:00")  # a deadline, but the policy says nothing here
    assert tick(db_session, policy, "2022-06-30 09:00") == 0
    assert told(db_session, review.id) == []


def many_due_tasks(session: Session, host: CampaignHost, count: int) -> list[int]:
    """`count` open rectification tasks of one case, all long past their deadline."""
    template = open_step(session, rectifying(session, host))
    base = local("2022-06-01 23:59")
    rows = [
        {
            "case_id": template.case_id,
            "task_guid": str(uuid.uuid4()),
            "bpmn_id": "rectify",
            "title": template.title,
            "form_key": template.form_key,
            "lane": template.lane,
            "unit_id": template.unit_id,
            "role": template.role,
            "state": "open",
            "due_at": base + timedelta(minutes=i),
            "created_at": clock.now(),
        }
        for i in range(count)
    ]
    bulk.insert_rows(session, WorkItem, rows)
    return [template.id]


def test_a_batch_is_bounded_and_the_next_ones_page_through_every_due_task(
    db_session: Session, host: CampaignHost
) -> None:
    policy = reminder_policy.parse(
        {
            "steps": [
                {"process": "*", "step": "*", "reminders": [{"offset": "+1d", "to": ["assignees"]}]}
            ]
        }
    )
    many_due_tasks(db_session, host, 1200)
    clock.freeze(local("2022-06-15 10:00"))
    batches: list[int] = []
    while (sent := reminders.send(db_session, policy, limit=500).sent) and len(batches) < 10:
        batches.append(sent)
    assert batches == [500, 500, 200]  # the template's own deadline is still ahead
    keys = db_session.scalar(select(func.count()).select_from(ReminderSent))
    distinct = db_session.scalar(
        select(func.count(func.distinct(ReminderSent.work_item_id))).select_from(ReminderSent)
    )
    assert keys == distinct == 1200
    assert reminders.send(db_session, policy, limit=500) == reminders.Batch(0, 0, 0)


def test_two_schedulers_at_once_send_each_reminder_once(tmp_path: Path) -> None:
    """Each runs the job in its own process-like setup (own engine, own connections)."""
    with fresh_database_url(tmp_path) as url:
        setup = Database(url)
        try:
            schema.upgrade(setup)
            clock.freeze(datetime(2022, 6, 15, 2, 0, tzinfo=UTC))
            with setup.transaction() as session:
                bootstrap.initialise(session, with_demo=True)  # the accounts, no problems
                many_due_tasks(session, CampaignHost(), 300)
            policy = reminder_policy.parse(POLICY)
            clock.freeze(local("2022-06-20 10:00"))
            databases = [Database(url), Database(url)]
            start = threading.Barrier(2)  # both begin together, each round
            results: list[int] = []
            failures: list[BaseException] = []

            def run(database: Database) -> None:
                try:
                    start.wait()
                    results.append(jobs.send_reminders(database, policy, batch=50))
                except BaseException as error:  # reported below
                    failures.append(error)

            for _round in range(3):  # a tick sends at most 10 batches of 50: three ticks
                threads = [threading.Thread(target=run, args=(d,)) for d in databases]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=120)
            assert failures == []
            # 300 tasks owe +1d and +3d: 600 reminders, each sent by one of the two.
            assert len(results) == 6 and sum(results) == 600
            with setup.transaction() as session:
                keys = session.scalar(select(func.count()).select_from(ReminderSent))
                office = session.scalar(
                    select(func.count())
                    .select_from(Notification)
                    .where(
                        Notification.kind == "overdue+3d",
                        Notification.user_id == user(session, "ldxz_ban").id,
                    )
                )
            assert keys == 600 and office == 300
            for database in databases:
                database.dispose()
        finally:
            setup.dispose()


def test_the_shipped_policy_is_valid_and_a_broken_one_is_refused_with_every_mistake() -> None:
    shipped = reminder_policy.load()
    rectify = shipped.for_step("problem_lifecycle", "rectify")
    other = shipped.for_step("monthly_report", "fill_report")
    assert rectify is not None and rectify.step == "rectify"
    assert other is not None and other.process == "*"
    with pytest.raises(InvalidInput) as refused:
        reminder_policy.parse(
            {
                "steps": [
                    {"process": "*", "step": "*", "reminders": [{"offset": "3天前", "to": ["x"]}]},
                    {"process": "*", "step": "rectify", "reminders": []},
                    {"process": "p", "step": "s", "reminders": [{"offset": "+1d", "to": ["boss"]}]},
                    {
                        "process": "q",
                        "step": "*",
                        "reminders": [
                            {"offset": "+1d", "to": ["office"]},
                            {"offset": "+24h", "to": ["office"]},
                        ],
                    },
                ],
                "channels": {"fax": ["remind"], "email": ["gossip"]},
            }
        )
    message = str(refused.value)
    for words in [
        "不是有效的提醒时间",
        "指定环节时须同时指定流程",
        "接收人“boss”无效",
        "提醒时间重复",
        "渠道无效",
        "通知类型无效",
    ]:
        assert words in message, message


def test_a_policy_file_that_is_not_json_or_missing_is_refused_in_chinese(tmp_path: Path) -> None:
    broken = tmp_path / "reminders.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(InvalidInput, match="不是有效的 JSON"):
        reminder_policy.load(environ={"YKT_REMINDERS_FILE": str(broken)})
    with pytest.raises(InvalidInput, match="无法读取提醒策略文件"):
        reminder_policy.load(tmp_path / "missing.json")


@given(st.integers(min_value=-365, max_value=365), st.sampled_from(["d", "h"]))
def test_an_offset_reads_back_as_written(amount: int, unit: str) -> None:
    text = "0" if amount == 0 else f"{amount:+d}{unit}"
    offset = reminder_policy.parse_offset(text)
    assert offset.key == text and offset.after_deadline == (amount > 0)


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)))
def test_a_day_offset_starts_at_beijing_midnight(moment: datetime) -> None:
    """-3d is due from 00:00 of the day three days before the deadline's day, Beijing time."""
    now = moment.replace(tzinfo=UTC)
    bound = reminder_policy.parse_offset("-3d").bound(now)
    today = now.astimezone(clock.LOCAL_TZ).date()
    assert bound.astimezone(clock.LOCAL_TZ).time().isoformat() == "00:00:00"
    assert bound.astimezone(clock.LOCAL_TZ).date() == today + timedelta(days=4)


def test_unit_names_come_from_the_task_unit(db_session: Session, host: CampaignHost) -> None:
    policy = reminder_policy.parse(POLICY)
    step = open_step(db_session, rectifying(db_session, host))
    tick(db_session, policy, "2022-06-22 09:00")
    unit = db_session.get_one(Unit, step.unit_id)
    assert all(f"（{unit.name}）" in text for _k, text, _w in told(db_session, step.id))


def test_an_ended_campaigns_tasks_are_reminded_no_more(
    db_session: Session, host: CampaignHost
) -> None:
    """Once 2023 starts, 2022's open steps refuse being done: no one is reminded of them."""
    from campaign import campaigns
    from campaign.current import active_campaign

    policy = reminder_policy.parse(POLICY)
    problem = rectifying(db_session, host)
    step = open_step(db_session, problem)
    assert tick(db_session, policy, "2022-06-22 00:00") == 1
    made = campaigns.create_from(
        db_session, active_campaign(db_session), code="2023-HTK", year=2023, name=""
    )
    campaigns.start(db_session, made)
    assert tick(db_session, policy, "2022-06-28 00:00") == 0
    assert [kind for kind, _text, _who in told(db_session, step.id)] == ["remind-3d"]
