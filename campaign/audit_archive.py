"""Archiving old audit records: kept in the database at least six months, then moved to a
signed file and removed, leaving an anchor the remaining chain starts from.

The file is JSON lines: a header, one line per record (the hashed fields and the hash, as
campaign.audit_chain defines them), and a last line with an HMAC-SHA256 over every byte
before it, keyed from the instance's secret key. The records are removed only after the
written file was read back and its signature, its chain and its last hash checked, and
only through a permit (AuditPermit) that the DELETE trigger honours and that this module
removes again in the same transaction."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import itertools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from campaign import audit, audit_chain, audit_verify
from campaign.models import AuditAnchor, AuditEvent, AuditPermit
from core import clock
from core.errors import InvalidInput

RETENTION_MONTHS = 6
FORMAT = "ykt-audit-archive"
VERSION = 1
ALGORITHM = "HMAC-SHA256"


class ArchiveInvalid(InvalidInput):
    """An archive file that does not check out: changed, cut short, or signed by another
    key."""


@dataclass(frozen=True)
class ArchiveSummary:
    path: Path
    count: int
    from_id: int
    to_id: int
    last_hash: str


def latest_allowed(today: date) -> date:
    """The latest --before that keeps every record of the last six months."""
    month_index = today.year * 12 + today.month - 1 - RETENTION_MONTHS
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def signing_key(secret_key: str) -> bytes:
    # A key of its own, derived from the instance's secret: the session-signing key itself
    # is never used for a second purpose.
    return hmac.new(secret_key.encode("utf-8"), b"ykt audit archive", hashlib.sha256).digest()


def archive(
    session: Session, before: date, directory: Path, secret_key: str, *, by: str
) -> ArchiveSummary:
    """Move the records older than `before` (local midnight) to a signed file in
    `directory` and remove them; `by` names who archived, in the record of it. A refused
    run is recorded too, and removes nothing."""
    try:
        newest = latest_allowed(clock.local_now().date())
        if before > newest:
            raise InvalidInput(
                f"审计记录至少保存 {RETENTION_MONTHS} 个月：--before 不能晚于 {newest.isoformat()}"
            )
        audit_chain.lock(session)  # nothing is linked to the log's start while it moves
        start_id, start_hash, last_id = _stretch(session, before)
        summary = _write_checked(
            session, directory, before, start_id, start_hash, last_id, secret_key
        )
    except InvalidInput as error:
        audit.record_refusal(
            session, "audit.archive", actor_name=by, before=before.isoformat(), reason=str(error)
        )
        raise
    _remove(session, summary)
    audit.record(
        session,
        "audit.archive",
        actor_name=by,
        target=summary.path.name,
        before=before.isoformat(),
        from_id=summary.from_id,
        to_id=summary.to_id,
        count=summary.count,
        last_hash=summary.last_hash,
    )
    return summary


def _stretch(session: Session, before: date) -> tuple[int, str, int]:
    """Where the log starts (the last anchor, or its beginning) and the last record to
    archive: the one before the first record of `before` or later, so that a record goes
    only with every record before it."""
    start_id, start_hash = audit_chain.latest_anchor(session) or audit_chain.Link(
        0, audit_chain.GENESIS
    )
    cutoff = datetime.combine(before, time(0), clock.LOCAL_TZ)
    first_kept = session.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.at >= cutoff))
    older = select(func.max(AuditEvent.id))
    if first_kept is not None:
        older = older.where(AuditEvent.id < first_kept)
    last_id = session.scalar(older)
    if last_id is None or last_id <= start_id:
        raise InvalidInput(f"没有早于 {before.isoformat()} 的审计记录需要归档")
    return start_id, start_hash, last_id


def _write_checked(
    session: Session,
    directory: Path,
    before: date,
    start_id: int,
    start_hash: str,
    last_id: int,
    secret_key: str,
) -> ArchiveSummary:
    """Write the file under a temporary name, read it back and check it against the
    database; only a file that checks out gets its name."""
    stamp = clock.local_now().strftime("%Y%m%d-%H%M%S")
    path = directory / f"ykt-audit-{start_id + 1}-{last_id}-{stamp}.jsonl"
    temporary = path.with_name("." + path.name + ".tmp")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if path.exists():
            raise InvalidInput(f"归档文件已存在：{path}")
        _write(session, temporary, before, start_id, start_hash, last_id, secret_key)
        try:
            summary = verify_file(temporary, secret_key)
        except ArchiveInvalid as exc:
            raise ArchiveInvalid(f"归档未完成，未删除任何记录：{exc}") from None
        stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == last_id))
        if summary.to_id != last_id or summary.last_hash != stored:
            raise ArchiveInvalid("写出的归档文件与数据库中的记录不一致，未删除任何记录")
        os.replace(temporary, path)
    except OSError as exc:
        raise InvalidInput(f"无法写入归档文件 {path}：{exc.strerror or exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return ArchiveSummary(path, summary.count, summary.from_id, summary.to_id, summary.last_hash)


def _write(
    session: Session,
    path: Path,
    before: date,
    start_id: int,
    start_hash: str,
    last_id: int,
    secret_key: str,
) -> None:
    signer = hmac.new(signing_key(secret_key), digestmod=hashlib.sha256)
    count = session.scalar(
        select(func.count()).where(AuditEvent.id > start_id, AuditEvent.id <= last_id)
    )
    header = {
        "format": FORMAT,
        "version": VERSION,
        "before": before.isoformat(),
        "after_id": start_id,
        "prev_hash": start_hash,
        "to_id": last_id,
        "count": count,
        "written_at": clock.now().isoformat(),
    }
    with path.open("wb") as out:
        for line in _lines(session, header, start_id, last_id):
            data = line.encode("utf-8")
            signer.update(data)
            out.write(data)
        out.write(_json({"signature": signer.hexdigest(), "algorithm": ALGORITHM}).encode())
        out.flush()
        os.fsync(out.fileno())


def _lines(session: Session, header: dict[str, Any], start_id: int, last_id: int) -> Iterator[str]:
    yield _json(header)
    columns = [getattr(AuditEvent, name) for name in (*audit_chain.FIELDS, "hash")]
    result = session.execute(
        select(*columns)
        .where(AuditEvent.id > start_id, AuditEvent.id <= last_id)
        .order_by(AuditEvent.id)
        .execution_options(yield_per=2000)
    )
    try:
        for row in result.mappings():
            yield _json(audit_chain.plain(row) | {"hash": row["hash"]})
    finally:
        result.close()


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def _remove(session: Session, summary: ArchiveSummary) -> None:
    """Remove the archived records under a permit that lives only inside this transaction,
    and leave the anchor the remaining log starts from."""
    permit = AuditPermit(up_to_id=summary.to_id)
    session.add(permit)
    session.flush()
    removed = session.execute(
        delete(AuditEvent).where(AuditEvent.id >= summary.from_id, AuditEvent.id <= summary.to_id)
    )
    if removed.rowcount != summary.count:  # type: ignore[attr-defined]
        raise ArchiveInvalid("数据库中的记录与归档文件条数不一致，未删除任何记录")
    session.add(
        AuditAnchor(
            archived_to_id=summary.to_id,
            hash=summary.last_hash,
            count=summary.count,
            archive_file=summary.path.name,
        )
    )
    session.delete(permit)
    session.flush()


def verify_file(path: Path, secret_key: str) -> ArchiveSummary:
    """Check an archive file: its signature first, then its header and the chain of its
    records. The file is read twice, a line at a time: an archive may be larger than the
    memory of the machine that checks it."""
    try:
        _check_signature(path, signing_key(secret_key))
        with path.open("rb") as handle:
            lines = (json.loads(line) for line in handle)
            header = next(lines)
            after_id, count = int(header["after_id"]), int(header["count"])
            checked = audit_verify.walk(
                itertools.islice(lines, count), start_id=after_id, start_hash=header["prev_hash"]
            )
    except OSError as exc:
        raise ArchiveInvalid(f"无法读取归档文件 {path}：{exc.strerror or exc}") from None
    except (KeyError, TypeError, ValueError, StopIteration):  # signed, not as written here
        raise ArchiveInvalid("归档文件中的记录格式不正确") from None
    if checked.broken is not None:
        raise ArchiveInvalid(f"归档文件中的记录链断开：{checked.broken.message}")
    if checked.count != count or checked.last_id != header.get("to_id"):
        raise ArchiveInvalid("归档文件不完整：记录条数或最后一条记录与文件头不符")
    return ArchiveSummary(path, checked.count, after_id + 1, checked.last_id, checked.last_hash)


def _check_signature(path: Path, key: bytes) -> None:
    """The last line signs every byte before it."""
    signer = hmac.new(key, digestmod=hashlib.sha256)
    last = b""
    with path.open("rb") as handle:
        for line in handle:
            signer.update(last)
            last = line
    try:
        signature = json.loads(last)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ArchiveInvalid(f"不是审计归档文件，或文件已损坏：{path}") from None
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        raise ArchiveInvalid(f"不是审计归档文件：{path}")
    if not hmac.compare_digest(str(signature.get("signature", "")), signer.hexdigest()):
        raise ArchiveInvalid("签名不符：文件在归档后被改动过，或不是用本实例的密钥签名的")
