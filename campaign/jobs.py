"""Jobs the scheduler runs each tick (when it holds the lease), each in its own transaction."""

from __future__ import annotations

from campaign import case_starts, notifications, obligations
from campaign.workflow_host import CampaignHost
from core.db import Database
from engine.runner import unit_of_work


def start_obligations(database: Database) -> int:
    """Start the reports that have opened for writing; idempotent, so every tick may run it."""
    with unit_of_work(database, CampaignHost()) as session:
        return len(obligations.start_due(session, CampaignHost()))


def notify_overdue(database: Database) -> int:
    with unit_of_work(database, CampaignHost()) as session:
        return notifications.for_overdue(session)


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


SCHEDULED_JOBS = [start_obligations, notify_new_reports, notify_overdue, start_timer_cases]
