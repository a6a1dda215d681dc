"""The inbox-page measurement of the benchmark runs end to end (tiny sizes, no timing
asserted: speed is measured by `make bench`, never in tests)."""

from pathlib import Path

from bench.engine import inbox
from bench.engine.inbox import InboxSize
from bench.engine.workload import BenchHost, deploy
from bench.inbox_page import REQUESTS, page_times
from core import schema
from core.db import Database
from tests.databases import fresh_database_url


def test_the_inbox_page_is_timed_through_flask(tmp_path: Path) -> None:
    messages: list[str] = []
    with fresh_database_url(tmp_path) as url:
        database = Database(url)
        try:
            schema.upgrade(database)
            size = InboxSize(total=2_000, open=400, units=4)
            inbox.load(database, deploy(database, BenchHost()), size, messages.append)
            times = page_times(database, size, messages.append)
        finally:
            database.dispose()
    assert len(times) == REQUESTS and all(t > 0 for t in times)
    assert any("inbox pages through Flask" in m for m in messages)
