"""Writing behind: on PostgreSQL, an import's COPYs run in a thread of their own while the
importing process prepares the next rows.

Storing an import's rows was serial: the process built a batch (case states, notices, audit
records: Python), then waited while the server inserted it (foreign keys, indexes, the
audit log's trigger: the server's own process). For 20,000 rows that was about 4 s of the
one and 5 s of the other, one after the other, on a machine with two cores. Written behind,
the server inserts a batch while the next one is built.

The COPYs go through the transaction's own connection (psycopg serialises its use between
threads), in the order they were asked for. Nothing is read that a queued COPY has not
written yet: a statement the session runs waits for the queue to empty (a hook on the
connection), unless it is a SELECT that names none of the tables with COPYs queued (the
units, roles and diagrams an import looks up per batch), which runs between two COPYs. So
written behind or not, a query sees the same rows. Ids come from a pool reserved ahead
(core.bulk.reserve_ids), so the import's batches rarely wait for the queue.

A failed COPY fails the unit of work: the error is raised in the importing process at its
next insert, its next statement, or at the end, and what was queued after it is dropped;
the caller's boundary rolls the transaction back."""

from __future__ import annotations

import queue
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from core import sent_later

# Work queued ahead of the server, at most: enough to keep it busy while the next batch is
# built (a batch is about six COPYs), few enough that the rows held stay a batch or two.
QUEUED = 12
_KEY = "write_behind"

Copy = Callable[[], None]  # one COPY, run on the writer's thread


class Writer:
    """The thread that runs the queued COPYs of one unit of work, in order."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[str, Copy] | None] = queue.Queue(maxsize=QUEUED)
        self._pending: Counter[str] = Counter()  # table → COPYs queued or running
        self._pending_lock = threading.Lock()
        self._failure: BaseException | None = None
        self._abandoned = False
        self._thread = threading.Thread(target=self._run, name="ykt-write-behind", daemon=True)
        self._thread.start()

    def submit(self, table: str, copy: Copy) -> None:
        """Queue a COPY into `table` (waits while the queue is full); raises a failure
        already met."""
        self._raise_failure()
        with self._pending_lock:
            self._pending[table] += 1
        self._queue.put((table, copy))

    def may_read_now(self, statement: str) -> bool:
        """Whether the statement may run before the queued COPYs: a SELECT that names no
        table they write and locks nothing (a table is read by naming it; the database has no
        views, and its triggers are on inserts; one of them moves another table's row, the
        audit chain's end, which is only ever read locked: a locking read waits)."""
        text = statement.lstrip().upper()
        if not text.startswith("SELECT") or "FOR UPDATE" in text or "FOR NO KEY UPDATE" in text:
            return False
        with self._pending_lock:
            tables = [table for table, count in self._pending.items() if count]
        return not any(re.search(rf'\b"?{re.escape(t)}"?\b', statement) for t in tables)

    def drain(self) -> None:
        """Wait until everything queued is written; raises a failure met on the way."""
        self._queue.join()
        self._raise_failure()

    def abandon(self) -> None:
        """The unit of work failed: what is still queued is dropped, not written."""
        self._abandoned = True

    def close(self) -> None:
        """Stop the thread once the queue is empty (the queued work is done or dropped)."""
        self._queue.put(None)
        self._thread.join()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def _run(self) -> None:
        while True:
            queued = self._queue.get()
            try:
                if queued is None:
                    return
                table, copy = queued
                try:
                    if self._failure is None and not self._abandoned:
                        copy()  # after a failure the rest is dropped
                finally:
                    with self._pending_lock:
                        self._pending[table] -= 1
            except BaseException as failure:
                self._failure = failure
            finally:
                self._queue.task_done()


def writer_of(session: Session) -> Writer | None:
    """The session's writer while it writes behind, else None (insert at once)."""
    writer: Writer | None = session.info.get(_KEY)
    return writer


@contextmanager
def writing_behind(session: Session) -> Iterator[None]:
    """Within the block, core.bulk's inserts on PostgreSQL are written behind; all of them
    are written (or their failure raised) when the block ends. Elsewhere, and on SQLite,
    whose driver runs in this process, it changes nothing."""
    if session.get_bind().dialect.name != "postgresql" or writer_of(session) is not None:
        yield
        return
    session.flush()  # what the session holds goes first, as an insert would put it
    connection = session.connection()
    writer = Writer()

    def wait_for_writes(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not writer.may_read_now(statement):
            writer.drain()

    event.listen(connection, "before_cursor_execute", wait_for_writes)
    session.info[_KEY] = writer
    try:
        with sent_later.at_once(connection):  # no pipeline while the COPYs use the driver
            yield
            writer.drain()
    except BaseException:
        writer.abandon()
        raise
    finally:
        session.info.pop(_KEY, None)
        event.remove(connection, "before_cursor_execute", wait_for_writes)
        writer.close()
