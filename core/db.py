"""The database: declarative base, engine creation for SQLite and PostgreSQL, sessions.

Services take a `Session` and only flush; the boundary (a web request, a CLI command, a
scheduler job) owns the transaction through `Database.transaction()`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event, text
from sqlalchemy.engine import URL, Connection, Dialect, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from core import lock_waits, pool_check, sent_later
from core.lock_waits import LOCK_WAIT_SECONDS

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The largest id a row can have (PostgreSQL's integer): a larger number names nothing, and
# handing it to the database would fail instead of finding nothing.
MAX_ID = 2**31 - 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: the same on SQLite (no zones) and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def first_line(error: DBAPIError) -> str:
    """What the database (or its driver) said, in its first line: the reason a person or an
    operator reads, without the statement SQLAlchemy appends."""
    return (str(error.orig or error).strip().splitlines() or [""])[0]


class DatabaseUnavailable(RuntimeError):
    """The configured database cannot be reached or the URL is unusable."""


def normalize_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use psycopg 3 for both."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, *, lock_wait: float = LOCK_WAIT_SECONDS, **kwargs: Any) -> Engine:
    """The engine of `url`; its statements wait at most `lock_wait` seconds for a lock
    another transaction holds (core.lock_waits)."""
    url = normalize_url(url)
    try:
        return _make_engine(url, lock_wait, **kwargs)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseUnavailable(f"数据库地址无法识别：{url!r}（{exc}）") from exc


POOL_RECYCLE_SECONDS = 1800


def _make_engine(url: str, lock_wait: float, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # A pool keeps connections open: opening one per transaction re-ran the PRAGMAs and
        # checkpointed the WAL each time (a third of a task completion). A pooled connection
        # is used by one thread at a time, so sharing across threads is safe.
        kwargs.setdefault("connect_args", {"timeout": lock_wait, "check_same_thread": False})
        engine = create_engine(url, **kwargs)
        busy_ms = lock_waits.sqlite_busy_milliseconds(lock_wait)
        event.listen(engine, "connect", partial(_sqlite_on_connect, busy_ms))
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    # A pooled connection is checked before each use (a server restart, a terminated backend
    # or a firewall that dropped an idle connection costs a reconnect, not a request) and
    # replaced after half an hour, below the idle limits of common proxies and firewalls.
    # PostgreSQL's are checked by their socket (core.pool_check), without a round trip.
    kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    if parsed.get_backend_name() != "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    kwargs.setdefault(
        "connect_args",
        {
            "connect_timeout": 5,
            "options": lock_waits.postgresql_options(lock_wait, _given_options(parsed)),
            **pool_check.KEEPALIVES,
        },
    )
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        pool_check.install(engine)
    sent_later.install(engine)
    return engine


def _given_options(parsed: URL) -> str:
    """The startup options the deployment gave: the address's (?options=...), else libpq's
    PGOPTIONS."""
    given = parsed.query.get("options")
    if given is None:
        return os.environ.get("PGOPTIONS", "")
    return given if isinstance(given, str) else " ".join(given)


def _sqlite_on_connect(busy_ms: int, dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (below) so that writes take the lock up front
    # instead of failing with "database is locked" when a reader upgrades to a writer.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.close()
    # What PostgreSQL's ykt_sha256_hex (migration 0038) does, so one statement serves both.
    dbapi_conn.create_function("ykt_sha256_hex", 1, _sha256_hex, deterministic=True)


def _sha256_hex(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


READ_ONLY = "ykt_read_only"  # execution option of a transaction that only reads


def _sqlite_on_begin(conn: Any) -> None:
    # A transaction that only reads takes no write lock: WAL gives it a snapshot of its own.
    conn.exec_driver_sql(
        "BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE"
    )


_KEPT = "ykt_kept_work"
# Work that stands whatever becomes of the transaction it was asked for in: given a session,
# it adds or changes rows there.
KeptWork = Callable[[Session], None]


def keep(session: Session, model: Any, values: dict[str, Any]) -> None:
    """A row that stands whatever becomes of the session's transaction: the record of an
    attempt that was refused, whose refusal rolls back the rest of the work."""
    keep_work(session, lambda target: target.add(model(**values)))


def keep_work(session: Session, work: KeptWork) -> None:
    """Work that stands whatever becomes of the session's transaction, like `keep` but able
    to change rows: a refused attempt that must still count (a wrong current password).
    It runs in the transaction when that succeeds, or in one of its own after the rollback,
    so it reads the rows afresh rather than trusting objects of the rolled-back work."""
    session.info.setdefault(_KEPT, []).append(work)


def has_kept(session: Session) -> bool:
    """Whether the session's work kept a row aside (the refusal is recorded already)."""
    return bool(session.info.get(_KEPT) or session.info.get(_KEPT_WRITTEN))


def write_kept(session: Session) -> None:
    """Do the kept work in this session's transaction (the boundary's success path); work
    that keeps further work (a refusal recorded while counting) is done too. Until that
    transaction commits, the work is still handed out by take_kept: should the commit
    fail, it is done again after the rollback."""
    written = session.info.setdefault(_KEPT_WRITTEN, [])
    while kept := session.info.pop(_KEPT, []):
        for work in kept:
            work(session)
        written.extend(kept)
    session.flush()


def take_kept(session: Session) -> list[KeptWork]:
    """The kept work, taken out before the session is rolled back: what was asked for, and
    what was written into the transaction but not committed with it."""
    written: list[KeptWork] = session.info.pop(_KEPT_WRITTEN, [])
    return [*written, *session.info.pop(_KEPT, [])]


_KEPT_WRITTEN = "ykt_kept_written"  # session.info: kept work done in the open transaction


@event.listens_for(Session, "after_commit")
def _kept_work_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy says after_commit): the transaction goes on
    session.info.pop(_KEPT_WRITTEN, None)


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def check(self) -> None:
        """Raise DatabaseUnavailable with a readable reason when the server cannot be used."""
        try:
            # Through a session: its first statement is run again on a new connection when
            # a pooled one's backend had just ended (core.pool_check). Reading: on SQLite it
            # does not wait for a writer's lock.
            with self.reading() as session:
                session.execute(text("SELECT 1"))
        except OperationalError as exc:
            reason = first_line(exc)
            raise DatabaseUnavailable(f"无法连接数据库 {self.safe_url()}：{reason}") from exc

    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit when the block ends normally, roll back otherwise."""
        session = self.sessions()
        try:
            yield session
            write_kept(session)
            session.commit()
        except BaseException:
            kept = take_kept(session)
            session.rollback()
            self.run_kept(kept)
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A transaction that only reads and is rolled back at the end. On SQLite it does not
        hold up writers as `transaction()` would (which takes the write lock when it
        begins), so a long read, such as walking the whole audit log, can run beside the
        service."""
        session = self.sessions()
        try:
            session.connection(execution_options={READ_ONLY: True})
            yield session
        finally:
            session.rollback()
            session.close()

    @contextmanager
    def apart(self) -> Iterator[Connection]:
        """A connection of its own, for work of several transactions that must run on one
        connection (a staged import, core.staging: its temporary tables live as long as
        the connection). Its transactions are begun by the caller."""
        with self.engine.connect() as connection:
            yield connection

    def run_kept(self, kept: list[KeptWork]) -> None:
        """Do kept work in a transaction of its own, after the work it belonged to was
        rolled back."""
        if not kept:
            return
        with self.transaction() as session:
            for work in kept:
                work(session)

    def dispose(self) -> None:
        self.engine.dispose()
