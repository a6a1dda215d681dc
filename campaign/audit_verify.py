"""Checking the audit log's hash chain (campaign.audit_chain): `verify` walks the log from
its start (or the last archive's anchor) to the end the database keeps and names the first
link that does not hold, told apart as a changed, removed or inserted record."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.audit_chain import FIELDS, GENESIS, Link, digest, head, latest_anchor, plain
from campaign.models import AuditEvent

CHANGED, REMOVED, INSERTED = "changed", "removed", "inserted"
KIND_LABELS = {CHANGED: "记录被修改", REMOVED: "记录被删除", INSERTED: "记录被插入"}


@dataclass(frozen=True)
class Break:
    """The first link that does not hold: which record, and what was done to the log."""

    record_id: int
    kind: str
    message: str


@dataclass(frozen=True)
class Verification:
    count: int  # records whose links held
    start_id: int  # the anchor's id (0 without one): the records after it were walked
    last_id: int
    last_hash: str
    broken: Break | None = None


def verify(session: Session) -> Verification:
    """Walk the whole log in id order from its start (or the last archive's anchor) to the
    end the database holds."""
    # Read first: the records' query then sees at least every record up to it.
    end = head(session)
    columns = [getattr(AuditEvent, name) for name in (*FIELDS, "hash")]
    result = session.execute(
        select(*columns).order_by(AuditEvent.id).execution_options(yield_per=2000)
    )
    try:
        records = (plain(row) | {"hash": row["hash"]} for row in result.mappings())
        first = next(records, None)
        # The anchor is read after the records' query started: an archive run that commits
        # meanwhile leaves an anchor past the records this query still sees, which is ignored.
        start_id, start_hash = latest_anchor(
            session, before_id=first["id"] if first is not None else None
        ) or Link(0, GENESIS)
        if first is None:
            walked = Verification(0, start_id, start_id, start_hash)
        else:
            walked = walk(_prepend(first, records), start_id=start_id, start_hash=start_hash)
        return _reaches(walked, end, head(session))
    finally:
        result.close()  # a break stops the walk early: the server-side cursor goes too


def _reaches(walked: Verification, end: Link, end_after: Link) -> Verification:
    """The walk, or the break of records removed from the log's end (no link after them
    could show it: the chain's end, audit_head, read before the walk, does), or of an end
    moved back behind the log (read after the walk: every record committed by then had
    moved it past itself; no record could be added after such an end)."""
    if walked.broken is not None:
        return walked
    if end.id > walked.last_id:
        first, last = walked.last_id + 1, end.id
        missing = f"#{first}" if first == last else f"#{first}–#{last}"
        message = f"记录 {missing} 不见了：审计记录的末尾有记录被删除"
        return replace(walked, broken=Break(first, REMOVED, message))
    if end_after.id < walked.last_id:
        message = (
            f"审计记录链的末端（audit_head）停在 #{end_after.id}，记录却已到 "
            f"#{walked.last_id}：末端被改动过，新的审计记录将无法写入"
        )
        return replace(walked, broken=Break(end_after.id, CHANGED, message))
    return walked


def _prepend(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def walk(records: Iterable[Mapping[str, Any]], *, start_id: int, start_hash: str) -> Verification:
    """Check records (plain fields and hash, in id order) that follow `start_hash`; the
    first break is told apart by what the neighbouring links still say."""
    expected, before = start_hash, ""  # hash the next record must link to, and the one prior
    last_id, count = start_id, 0
    for record, following in _with_next(records):
        record_id = record["id"]
        if digest(record) != record["hash"]:
            return _broken(count, start_id, last_id, expected, record_id, CHANGED)
        if record["prev_hash"] != expected:
            if following is not None and following["prev_hash"] == expected:
                culprit, kind = record_id, INSERTED  # the chain goes on past it
            elif count and record["prev_hash"] == before:
                culprit, kind = last_id, INSERTED  # the record before it was slipped in
            elif record_id > last_id + 1:
                culprit, kind = last_id + 1, REMOVED
            else:  # no gap: the record before it (or its own link) was rewritten
                culprit, kind = (last_id if count else record_id), CHANGED
            return _broken(count, start_id, last_id, expected, culprit, kind, record_id)
        before, expected = expected, record["hash"]
        last_id, count = record_id, count + 1
    return Verification(count, start_id, last_id, expected)


def _with_next(
    records: Iterable[Mapping[str, Any]],
) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    iterator = iter(records)
    current = next(iterator, None)
    while current is not None:
        following = next(iterator, None)
        yield current, following
        current = following


def _broken(
    count: int,
    start_id: int,
    last_id: int,
    last_hash: str,
    culprit: int,
    kind: str,
    seen_at: int | None = None,
) -> Verification:
    if kind == CHANGED and seen_at is None:
        message = f"记录 #{culprit} 的内容与它的哈希不符：该记录被修改过"
    elif kind == CHANGED:
        message = (
            f"记录 #{seen_at} 所记的前一条哈希与记录 #{culprit} 不符："
            f"记录 #{culprit} 被修改或替换过（连同它的哈希）"
        )
    elif kind == REMOVED:
        assert seen_at is not None
        missing = f"#{culprit}" if seen_at == culprit + 1 else f"#{culprit}–#{seen_at - 1}"
        message = f"记录 {missing} 不见了：记录 #{seen_at} 之前有记录被删除"
    else:
        message = f"记录 #{culprit} 不在记录链上：它是被插入的"
    return Verification(count, start_id, last_id, last_hash, Break(culprit, kind, message))
