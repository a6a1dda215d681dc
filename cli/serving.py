"""Serving pages with waitress until SIGTERM or Ctrl+C, then stopping gracefully.

On the signal the process stops accepting connections at once (a balancer's next attempt goes
to another process), tells whoever needs to know (readiness fails, the embedded scheduler gives
its lease up), lets the requests already received finish and their answers go out, for at most
`drain_seconds`, and only then ends. waitress's own `serve()` would simply be killed by
SIGTERM, cutting every request in flight; this runs its loop one round at a time instead."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from waitress import create_server, wasyncore

DRAIN_SECONDS = 30.0


class Stopping:
    """Set by SIGTERM or SIGINT; the serving loop sees it within one round (1 s). It only
    sets a flag: waking the loop through waitress's trigger would take a lock that the
    interrupted main thread may be holding."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self, _signum: int, _frame: Any) -> None:
        self.event.set()


def serve_until_stopped(
    wsgi_app: Any,
    *,
    host: str,
    port: int,
    threads: int,
    on_listening: Callable[[str, int], None],
    on_stopping: Callable[[], None],
    drain_seconds: float = DRAIN_SECONDS,
) -> None:
    server = create_server(wsgi_app, host=host, port=port, threads=threads, ident="ykt")
    stopping = Stopping()
    previous = {sig: signal.signal(sig, stopping) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        on_listening(str(server.effective_host), int(server.effective_port))
        while not stopping.event.is_set():
            _one_round(server, server.adj.asyncore_loop_timeout)
        # Stop accepting (the listening socket only: the trigger that wakes the loop when
        # an answer is ready stays open), then let what was received finish.
        wasyncore.dispatcher.close(server)
        on_stopping()
        deadline = time.monotonic() + drain_seconds
        while _in_flight(server) and time.monotonic() < deadline:
            _one_round(server, 0.05)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        wasyncore.close_all(server._map)


def _one_round(server: Any, timeout: float) -> None:
    wasyncore.loop(timeout=timeout, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1)


def _in_flight(server: Any) -> bool:
    """A request is being answered, or an answer is still being sent."""
    return any(
        channel.requests or channel.total_outbufs_len
        for channel in list(server.active_channels.values())
    )
