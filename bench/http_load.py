"""The users of the HTTP load benchmark: each a thread with a keep-alive connection to one
server process and an API token of its own, working its township's 审核 through the API as
an integration would: list the inbox → claim a task → open it → complete it (approve, with
the responsible unit, measures and a deadline 30 days on). Every request is timed and its
status counted by kind. Two users of one township may reach for the same task: the loser's
claim (or completion) answers 409, which is the only refusal a correct server gives here;
any other status fails the run."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

KINDS = ("list", "claim", "open", "complete")
ALLOWED = {200: set(KINDS), 409: {"claim", "complete"}}
REVIEW_FORM = "review_registration"
PER_PAGE = 20
TIMEOUT = 60.0
CONNECTION_FAILED = 0  # the status recorded when no answer came


@dataclass(frozen=True)
class User:
    username: str
    unit: str
    token: str
    base_url: str  # the server process this user's connection goes to


@dataclass
class Tally:
    """What the users did while the measurement window was open."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    completions: int = 0
    unexpected: list[str] = field(default_factory=list)  # the first few, for the report

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def failures(self) -> dict[str, int]:
        """Statuses no correct server answers here, as "kind status": count."""
        return {
            f"{kind} {status}": n
            for (kind, status), n in sorted(self.statuses.items())
            if kind not in ALLOWED.get(status, set())
        }

    def conflicts(self) -> int:
        return sum(n for (_kind, status), n in self.statuses.items() if status == 409)


class Window:
    """The measured part of a run: requests started while it is open are counted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = False
        self.stop = threading.Event()
        self.tally = Tally()

    def is_open(self) -> bool:
        with self.lock:
            return self.open

    def record(self, kind: str, status: int, ms: float, detail: str, *, started_open: bool) -> None:
        if not started_open:
            return
        with self.lock:
            self.tally.statuses[(kind, status)] += 1
            self.tally.latencies[kind].append(ms)
            if kind == "complete" and status == 200:
                self.tally.completions += 1
            if kind not in ALLOWED.get(status, set()) and len(self.tally.unexpected) < 5:
                self.tally.unexpected.append(f"{kind} {status}: {detail[:300]}")


def approval(unit: str) -> dict[str, Any]:
    deadline = date.today() + timedelta(days=30)
    return {
        "data": {
            "review_decision": "approve",
            "responsible_unit": unit,
            "responsible_person": "李主任",
            "rectify_type": "deadline",
            "measures": "追回截留资金并足额发放",
            "deadline": deadline.isoformat(),
        }
    }


class Client:
    """One user's connection; it reconnects after a failure."""

    def __init__(self, user: User, window: Window) -> None:
        self.user = user
        self.window = window
        parts = urlsplit(user.base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.connection: http.client.HTTPConnection | None = None
        self.headers = {"Authorization": f"Bearer {user.token}", "Accept": "application/json"}

    def call(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = dict(self.headers)
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started_open = self.window.is_open()
        began = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            self.connection.request(method, "/api/v1" + path, body=payload, headers=headers)
            answer = self.connection.getresponse()
            raw = answer.read()
            status = answer.status
            if answer.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            self.window.record(
                kind, CONNECTION_FAILED, _ms(began), repr(error), started_open=started_open
            )
            return CONNECTION_FAILED, None
        elapsed = _ms(began)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        detail = body.get("error") if isinstance(body, dict) else None
        text = detail or raw.decode("utf-8", "replace")
        self.window.record(kind, status, elapsed, text, started_open=started_open)
        return status, body

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _ms(began: float) -> float:
    return (time.perf_counter() - began) * 1000


def work(user: User, window: Window, seed: int) -> None:
    """One user's loop until the run stops or the user's inbox holds no review any more."""
    client = Client(user, window)
    chooser = random.Random(seed)  # noqa: S311 (which task to take, not a secret)
    empty_lists = 0
    try:
        while not window.stop.is_set():
            status, page = client.call("list", "GET", f"/tasks?tab=open&per_page={PER_PAGE}")
            if status != 200 or not isinstance(page, dict):
                window.stop.wait(0.2)
                continue
            reviews = [
                item
                for item in page.get("items", [])
                if item.get("form_key") == REVIEW_FORM and item.get("claimed_by") is None
            ]
            if not reviews:
                empty_lists += 1
                if empty_lists >= 3:
                    return  # the township's work is done
                window.stop.wait(0.2)
                continue
            empty_lists = 0
            task = chooser.choice(reviews)["id"]
            status, _ = client.call("claim", "POST", f"/tasks/{task}/claim")
            if status != 200:
                continue  # another user of the township took it first
            status, _ = client.call("open", "GET", f"/tasks/{task}")
            if status != 200:
                continue
            client.call("complete", "POST", f"/tasks/{task}/complete", approval(user.unit))
    finally:
        client.close()


@dataclass
class LoadRun:
    """What one run of the users measured."""

    tally: Tally
    seconds: float  # the measurement window
    users_done_early: int  # users whose inbox ran out before the end

    @property
    def requests_per_s(self) -> float:
        return self.tally.requests / self.seconds if self.seconds else 0.0

    @property
    def completions_per_s(self) -> float:
        return self.tally.completions / self.seconds if self.seconds else 0.0


def run_users(
    users: list[User],
    *,
    warmup: float,
    duration: float,
    on_window: Any = None,
) -> LoadRun:
    """Run every user for `warmup` seconds unmeasured, then `duration` measured.
    `on_window(opening: bool)` is called as the window opens and closes (to read the servers'
    CPU at the same moments)."""
    window = Window()
    threads = [
        threading.Thread(target=work, args=(user, window, index), daemon=True)
        for index, user in enumerate(users)
    ]
    began = 0.0
    if warmup <= 0:
        # No warm-up: the window is open before the first request can start, so none is lost.
        began = _open_window(window, on_window)
    for thread in threads:
        thread.start()
    if warmup > 0:
        _wait(threads, warmup)
        began = _open_window(window, on_window)
    _wait(threads, duration)
    with window.lock:
        window.open = False
    seconds = time.monotonic() - began
    if on_window is not None:
        on_window(False)
    done_early = sum(1 for t in threads if not t.is_alive())
    window.stop.set()
    for thread in threads:
        thread.join(timeout=TIMEOUT + 5)
    return LoadRun(window.tally, seconds, done_early)


def _open_window(window: Window, on_window: Any) -> float:
    """Open the window; the moment it opened."""
    if on_window is not None:
        on_window(True)
    with window.lock:
        window.open = True
    return time.monotonic()


def _wait(threads: list[threading.Thread], seconds: float) -> None:
    """Wait `seconds`, or less when every user has finished."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(t.is_alive() for t in threads):
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-share * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]
