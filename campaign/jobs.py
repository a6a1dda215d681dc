"""Jobs the scheduler runs each tick (when it holds the lease), each in its own transaction."""

from __future__ import annotations

from campaign import (
    case_starts,
    channels,
    notifications,
    obligations,
    outbox,
    reminder_policy,
    reminders,
)
from campaign.comparison import runs
from campaign.workflow_host import CampaignHost
from core import staged_parts
from core.db import Database
from engine.runner import unit_of_work

# A tick works through at most this many reminder batches; the rest waits for the next tick.
REMINDER_BATCHES_PER_TICK = 10


def start_obligations(database: Database) -> int:
    """Start the reports that have opened for writing; idempotent, so every tick may run it."""
    with unit_of_work(database, CampaignHost()) as session:
        return len(obligations.start_due(session, CampaignHost()))


def send_reminders(
    database: Database,
    policy: reminder_policy.Policy | None = None,
    *,
    batch: int = reminders.BATCH,
    batches: int = REMINDER_BATCHES_PER_TICK,
) -> int:
    """Reminders and escalations the policy owes now, a batch per transaction; the number
    of reminders sent (each to one or more people)."""
    policy = policy or reminder_policy.load()
    sent = 0
    for _ in range(batches):
        with unit_of_work(database, CampaignHost()) as session:
            done = reminders.send(session, policy, batch)
        sent += done.sent
        if done.due < batch:
            break
    return sent


def deliver_notices(database: Database) -> outbox.Round:
    """Notices out by e-mail and SMS, as the environment configures the channels."""
    return outbox.deliver(
        database, reminder_policy.load(), channels.from_env(), outbox.retry_from_env()
    )


def notify_new_reports(database: Database) -> int:
    """Reports started by the scheduler announce themselves like any other new work."""
    with unit_of_work(database, CampaignHost()) as session:
        sent = 0
        for obligation in obligations.awaiting_notice(session):
            if obligation.case_id is not None:
                sent += notifications.for_new_work(session, obligation.case_id)
        return sent


def start_timer_cases(database: Database) -> int:
    """Cases of processes with a timer start event, one per due time."""
    with unit_of_work(database, CampaignHost()) as session:
        return len(case_starts.start_due_timers(session, CampaignHost()))


def run_queued_comparisons(database: Database) -> int:
    """Comparisons asked for on the 数据比对 page, rule by rule, with their progress."""
    return runs.work_queued(database, CampaignHost())


def discard_abandoned_imports(database: Database) -> int:
    """What an import killed while copying its rows in parts left (SQLite; rows no one sees,
    core.staged_parts) is deleted, as the next import would; the imports discarded."""
    if database.dialect != "sqlite":
        return 0
    with database.apart() as connection:
        return len(staged_parts.discard_abandoned(connection))


SCHEDULED_JOBS = [
    start_obligations,
    notify_new_reports,
    send_reminders,
    deliver_notices,
    start_timer_cases,
    run_queued_comparisons,
    discard_abandoned_imports,
]
