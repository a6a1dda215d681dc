"""The HTTP load benchmark at toy size: real server processes on the database under test, and
its counting against a stub server whose every answer is known (speed is never asserted)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench import http_bench, http_report
from bench.http_load import Client, User, Window, percentile, run_users
from tests.databases import backend_name, server_url


def test_users_complete_reviews_through_real_server_processes(tmp_path: Path) -> None:
    options = http_bench.Options(
        database=backend_name(),
        postgresql_url=server_url() or "",
        problems=24,
        users=3,
        processes=(1,),
        # No warm-up: three users finish these few reviews in about a second, and on a fast
        # machine they had finished them all in a warm-up of 0.5 s, leaving none to count.
        warmup=0,
        duration=2.5,
        workdir=tmp_path,
    )
    [measurement] = http_bench.run(options, lambda _message: None)
    tally = measurement.load.tally
    assert measurement.failures == {}
    assert tally.completions > 0
    assert tally.statuses[("complete", 200)] == tally.completions
    assert tally.requests == sum(len(times) for times in tally.latencies.values())
    # Each completion followed a list, a claim and an opening of its own.
    for kind in ("list", "claim", "open"):
        assert len(tally.latencies[kind]) >= tally.completions - 3  # in flight at the edges
    assert measurement.server_cpu > 0
    assert max(measurement.peak_rss_kib) > 10_000
    report = http_report.summary(options, [measurement])
    assert json.loads(json.dumps(report))["failed"] is False
    assert http_report.lines(report)[-1] == "no failures"
    assert list(tmp_path.iterdir()) == []  # databases, logs and instance folders removed


def test_each_configuration_starts_from_the_database_as_seeded(tmp_path: Path) -> None:
    # Three users clear their townships' reviews well inside the window: measured one after
    # the other on one database, the second configuration found none left (no completion:
    # a failed run).
    options = http_bench.Options(
        database=backend_name(),
        postgresql_url=server_url() or "",
        problems=9,
        users=3,
        processes=(1, 1),
        warmup=0,
        duration=20,
        workdir=tmp_path,
    )
    first, second = http_bench.run(options, lambda _message: None)
    for measurement in (first, second):
        assert measurement.failures == {}
        assert measurement.load.users_done_early == 3  # every inbox cleared
    assert first.load.tally.completions > 0
    assert second.load.tally.completions == first.load.tally.completions
    assert list(tmp_path.iterdir()) == []  # the copies removed with the rest


class Stub:
    """Four reviews offered one at a time: the claim of the second loses a race (409), the
    completion of the third fails (500), the others go through; then the inbox is empty."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.left = [1, 2, 3, 4]
        self.served: Counter[tuple[str, int]] = Counter()

    def answer(self, method: str, path: str) -> tuple[int, object]:
        with self.lock:
            kind, status, body = self._decide(method, path)
            # Counted before it is sent: the client may read the last answer, stop, and be
            # compared with this count before a handler thread counting afterwards ran.
            self.served[(kind, status)] += 1
            return status, body

    def _decide(self, method: str, path: str) -> tuple[str, int, object]:
        if method == "GET" and path.startswith("/api/v1/tasks?"):
            items = [
                {"id": task, "form_key": "review_registration", "claimed_by": None}
                for task in self.left[:1]
            ]
            return "list", 200, {"items": items}
        task = int(path.split("/")[4])
        if path.endswith("/claim"):
            if task == 2:
                self.left.remove(task)
                return "claim", 409, {"error": "已被他人认领"}
            return "claim", 200, {"id": task}
        if path.endswith("/complete"):
            self.left.remove(task)
            if task == 3:
                return "complete", 500, {"error": "内部错误"}
            return "complete", 200, {"task": {"id": task}}
        return "open", 200, {"id": task}


@contextmanager
def stub_server(stub: Stub) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle_one(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, body = stub.answer(method, self.path)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self.handle_one("GET")

        def do_POST(self) -> None:
            self.handle_one("POST")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_statuses_are_counted_as_answered_and_a_500_fails_the_run() -> None:
    stub = Stub()
    with stub_server(stub) as url:
        run = run_users([User("u", "QSZ", "ykt_x", url)], warmup=0, duration=20)
    tally = run.tally
    assert run.seconds < 10  # the user stopped when the inbox was empty
    assert tally.statuses == stub.served
    assert tally.statuses[("claim", 409)] == 1
    assert tally.completions == 2
    assert tally.conflicts() == 1
    assert tally.failures() == {"complete 500": 1}
    assert "内部错误" in tally.unexpected[0]
    measurement = http_bench.Measurement(
        "current", 1, run, 1.0, 0.0, None, 0.0, [1024], 1024, failures=tally.failures()
    )
    report = http_report.summary(http_bench.Options(), [measurement])
    assert report["failed"] is True
    assert http_report.lines(report)[-1].startswith("FAILED")


class GatedStub(Stub):
    """The stub holding each answer until `gate` is set; `arrived` tells that one is waiting."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()
        self.gate = threading.Event()

    def answer(self, method: str, path: str) -> tuple[int, object]:
        self.arrived.set()
        assert self.gate.wait(10)
        return super().answer(method, path)


def _set_window(window: Window, open_: bool) -> None:
    with window.lock:
        window.open = open_


def test_a_request_counts_by_when_it_started_not_when_it_was_answered() -> None:
    stub = GatedStub()
    window = Window()
    with stub_server(stub) as url:
        client = Client(User("u", "QSZ", "ykt_x", url), window)

        def one_list_while(change_window: bool) -> None:
            stub.arrived.clear()
            stub.gate.clear()
            caller = threading.Thread(target=client.call, args=("list", "GET", "/tasks?tab=open"))
            caller.start()
            assert stub.arrived.wait(10)
            _set_window(window, change_window)
            stub.gate.set()
            caller.join(10)

        one_list_while(change_window=True)  # started before the window, answered inside it
        assert window.tally.requests == 0
        one_list_while(change_window=False)  # started inside, answered after it closed
        client.close()
    assert window.tally.statuses == Counter({("list", 200): 1})


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.99) == 99
    assert percentile([7.0], 0.99) == 7
    assert percentile([], 0.5) is None
