"""The audit log as a hash chain: each record carries the SHA-256 of the one before it
(`prev_hash`) and its own (`hash`, over a canonical form of all its fields, `prev_hash`
included). Changing, removing or slipping in a record breaks a link that `verify` finds.

Records are appended in one defined order, after the chain's end, which the database keeps
in a row of its own (`audit_head`, moved after every insert: migration 0038). A writer locks
that row to the end of its transaction, so two transactions cannot both link to the same
last record (SQLite's writers are serialised already: BEGIN IMMEDIATE, core.db). The ORM's
single new record, nearly every request's, is linked and inserted by one statement that reads
the locked end and hashes in the database (`ykt_sha256_hex`); several pending ones (a
before_flush hook, in order of addition) and bulk inserts (`chained`) are linked here after
one locked read. The ids are the last id plus one, not a sequence, so the log has no gaps
of its own: a gap means records were removed."""

from __future__ import annotations

import hashlib
import json
import typing
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import String, Table, bindparam, cast, event, func, insert, inspect, select
from sqlalchemy.orm import (
    Session,
    SessionTransaction,
    make_transient,
    make_transient_to_detached,
)

from campaign.models import AuditAnchor, AuditEvent, AuditHead
from core import clock

GENESIS = "0" * 64  # what the first record of a log links to

# The fields a record's hash covers, in the order of the table.
FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "target",
    "success",
    "source",
    "detail",
    "ip",
    "user_agent",
    "prev_hash",
)
DEFAULTS: dict[str, Any] = {
    "actor_id": None,
    "target": "",
    "success": True,
    "source": "",
    "detail": "",
    "ip": "",
    "user_agent": "",
}


def plain(values: Mapping[Any, Any]) -> dict[str, Any]:
    """The hashed fields of a record as JSON values: the time in UTC to the microsecond,
    which both databases store exactly."""
    out = {name: values.get(name, DEFAULTS.get(name)) for name in FIELDS}
    at = out["at"]
    if isinstance(at, datetime):
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        out["at"] = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    out["success"] = bool(out["success"])
    return out


def digest(record: Mapping[str, Any]) -> str:
    """SHA-256 of a record's plain fields: sorted keys, no spaces, UTF-8."""
    canonical = json.dumps(
        {name: record[name] for name in FIELDS},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def link(session: Session, rows: list[dict[str, Any]]) -> None:
    """Give each row (column values of a new record) its id, prev_hash and hash, in the
    order given, after the last record. Holds the chain's lock to the end of the
    transaction."""
    if not rows:
        return
    last_id, last_hash = lock(session)
    for row in rows:
        for name, value in DEFAULTS.items():
            if row.get(name) is None:
                row[name] = value
        if row.get("at") is None:
            row["at"] = clock.now()
        last_id += 1
        row["id"], row["prev_hash"] = last_id, last_hash
        row["hash"] = last_hash = digest(plain(row))


# What stands for a record's id and prev_hash in its canonical form while it is prepared.
_ID, _PREV = -918273645546372819, "p" * 64
_AROUND_ID, _AROUND_PREV = f'"id":{_ID},', f'"prev_hash":"{_PREV}"'


class Prepared(NamedTuple):
    """A record's canonical form (`digest`) but for its id and prev_hash: before, between,
    after them."""

    before: str
    between: str
    after: str


def prepare(rows: list[dict[str, Any]]) -> list[Prepared]:
    """The canonical forms of new records (column values, defaults filled in here) ahead of
    linking them (`link_prepared`): a long import makes them before it takes the lock, and
    links them under it with one hash each."""
    prepared = []
    for row in rows:
        for name, value in DEFAULTS.items():
            if row.get(name) is None:
                row[name] = value
        canonical = json.dumps(
            plain(row | {"id": _ID, "prev_hash": _PREV}),
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        before, _, rest = canonical.partition(_AROUND_ID)
        between, _, after = rest.partition(_AROUND_PREV)
        prepared.append(Prepared(before + '"id":', "," + between + '"prev_hash":"', '"' + after))
    return prepared


def link_prepared(session: Session, rows: list[dict[str, Any]], prepared: list[Prepared]) -> None:
    """`link` for rows made ready with `prepare`: the same ids and hashes."""
    session.flush()
    last_id, last_hash = lock(session)
    sha256 = hashlib.sha256
    for row, (before, between, after) in zip(rows, prepared, strict=True):
        last_id += 1
        row["id"], row["prev_hash"] = last_id, last_hash
        canonical = f"{before}{last_id}{between}{last_hash}{after}"
        row["hash"] = last_hash = sha256(canonical.encode("utf-8")).hexdigest()


def chained(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of a bulk insert, linked after the records already added to the session
    (which are flushed first, so they come first in the chain too)."""
    session.flush()
    link(session, rows)
    return rows


class Link(NamedTuple):
    """A point of the chain: a record's (or an anchor's) id and hash."""

    id: int
    hash: str


_EVENTS = typing.cast(Table, AuditEvent.__table__)
_ANCHORS, _HEAD = AuditAnchor.__table__, AuditHead.__table__
# Built once: every insert reads the chain's end, and building a statement each time cost
# five times running it (0.25 ms against 0.05 ms on SQLite).
_END = select(_HEAD.c.last_id, _HEAD.c.hash).where(_HEAD.c.id == 1)
_LOCKED_END = _END.with_for_update()
_LAST_ANCHOR = (
    select(_ANCHORS.c.archived_to_id, _ANCHORS.c.hash)
    .order_by(_ANCHORS.c.archived_to_id.desc())
    .limit(1)
)
_ANCHOR_BEFORE = _LAST_ANCHOR.where(_ANCHORS.c.archived_to_id < bindparam("before_id"))
# A record's own columns: all it is given but its place in the chain.
_OWN = tuple(name for name in FIELDS if name not in ("id", "prev_hash"))


def _insert_linked() -> Any:
    """One new record linked to the locked end and inserted, its hash made by the database
    from its canonical form around the id and prev_hash (`prepare`)."""
    end = _HEAD.c
    next_id = end.last_id + 1
    canonical = (
        bindparam("before", type_=String)
        + cast(next_id, String)
        + bindparam("between", type_=String)
        + end.hash
        + bindparam("after", type_=String)
    )
    linked = (
        select(
            next_id,
            *(bindparam(name, type_=_EVENTS.c[name].type) for name in _OWN),
            end.hash,
            func.ykt_sha256_hex(canonical, type_=String),
        )
        .where(end.id == 1)
        .with_for_update()
    )
    return (
        insert(_EVENTS)
        .from_select(["id", *_OWN, "prev_hash", "hash"], linked)
        .returning(_EVENTS.c.id, _EVENTS.c.prev_hash, _EVENTS.c.hash)
    )


_INSERT_LINKED = _insert_linked()


class MissingHead(RuntimeError):
    """The database has no chain end: it was not upgraded (`ykt init`), or it was removed."""

    def __init__(self) -> None:
        super().__init__("审计记录链缺少末端（audit_head）：请先运行 ykt init 升级数据库")


def head(session: Session) -> Link:
    """What the next record follows: the last record, or the anchor an archive run left
    when it removed them all, or the start of an empty log."""
    return _end(session, _END)


def lock(session: Session) -> Link:
    """Hold the chain until the transaction ends, and where it ends now (one statement: its
    end's row, locked; SQLite's transactions hold the write lock from their start)."""
    return _end(session, _LOCKED_END)


def _end(session: Session, statement: Any) -> Link:
    end = session.execute(statement).first()
    if end is None:
        raise MissingHead()
    return Link(end.last_id, end.hash)


def latest_anchor(session: Session, *, before_id: int | None = None) -> Link | None:
    """The newest anchor (before a record id, when given)."""
    if before_id is None:
        row = session.execute(_LAST_ANCHOR).first()
    else:
        row = session.execute(_ANCHOR_BEFORE, {"before_id": before_id}).first()
    return Link(row.archived_to_id, row.hash) if row is not None else None


@event.listens_for(Session, "before_flush")
def _link_new_events(session: Session, _context: Any, _instances: Any) -> None:
    pending = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not pending:
        return
    if len(pending) == 1:
        _insert_one(session, pending[0])
        return
    pending.sort(key=lambda obj: inspect(obj).insert_order or 0)
    rows = [{name: getattr(obj, name) for name in FIELDS if name != "prev_hash"} for obj in pending]
    link(session, rows)
    for obj, row in zip(pending, rows, strict=True):
        for name, value in row.items():
            setattr(obj, name, value)


def _insert_one(session: Session, record: AuditEvent) -> None:
    """Link and insert the record by one statement, then hold it in the session as the row
    it now is (the flush has nothing left to write for it)."""
    if record.at is None:
        record.at = clock.now()
    row = {name: getattr(record, name) for name in _OWN}
    (before, between, after) = prepare([row])[0]  # fills in the defaults the row lacks
    linked = session.execute(
        _INSERT_LINKED, {**row, "before": before, "between": between, "after": after}
    ).first()
    if linked is None:
        raise MissingHead()
    session.expunge(record)
    for name, value in row.items():
        setattr(record, name, value)  # the defaults, as stored
    record.id, record.prev_hash, record.hash = linked
    make_transient_to_detached(record)
    session.add(record)
    # The session takes it for a row it loaded: should its transaction (or a savepoint
    # around it) roll back, it is made a new record again, as one the flush inserted is.
    values = {name: getattr(record, name) for name in (*FIELDS, "hash")}
    current = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_INSERTED, []).append((record, current, values))


_INSERTED = "ykt.audit_inserted"  # session.info: records _insert_one inserted, not committed


@event.listens_for(Session, "after_soft_rollback")
def _unsaved_again(session: Session, rolled_back: SessionTransaction) -> None:
    inserted = session.info.get(_INSERTED)
    if not inserted:
        return
    kept = []
    for record, transaction, values in inserted:
        if _within(transaction, rolled_back):
            make_transient(record)
            for name, value in values.items():
                setattr(record, name, value)
        else:
            kept.append((record, transaction, values))
    session.info[_INSERTED] = kept


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _saved(session: Session) -> None:
    session.info.pop(_INSERTED, None)
