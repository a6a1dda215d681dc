"""Jobs the scheduler runs each tick (when it holds the lease), each in its own transaction."""

from __future__ import annotations

from campaign import obligations
from campaign.workflow_host import CampaignHost
from core.db import Database


def start_obligations(database: Database) -> int:
    """Start the reports that have opened for writing; idempotent, so every tick may run it."""
    with database.transaction() as session:
        return len(obligations.start_due(session, CampaignHost()))


SCHEDULED_JOBS = [start_obligations]
