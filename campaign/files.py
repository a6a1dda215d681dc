"""Storing evidence files: checked by size and by what their first bytes say they are,
kept on disk by content hash (so re-uploads cost nothing), recorded against a case."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from campaign import audit
from campaign.campaign_cases import ensure_case_open
from campaign.models import Attachment, Comment, User
from core import clock
from core.db import keep_work
from core.errors import InvalidInput, NotFound, Unavailable
from core.numbers import row_id
from forms.definition import Form

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
_NEW_FILES = "ykt_new_files"  # session.info: files this transaction added to the store
CHUNK = 1024 * 1024
# Extension -> the signatures a genuine file of that kind starts with.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0",),
    "xls": (b"\xd0\xcf\x11\xe0",),
    "zip": (b"PK\x03\x04",),
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "zip": "application/zip",
}


def _path(data_dir: Path, digest: str) -> Path:
    return data_dir / "attachments" / digest[:2] / digest


def store(
    session: Session, data_dir: Path, user: User, case_id: int, filename: str, stream: IO[bytes]
) -> Attachment:
    name = Path(filename.replace("\\", "/")).name.strip()[:200]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in SIGNATURES:
        raise InvalidInput(
            f"不支持的文件类型：{name or '（无文件名）'}；可上传 {'、'.join(sorted(SIGNATURES))}"
        )
    digest, size = _copy_to_disk(session, data_dir, stream, SIGNATURES[extension], name)
    # The same content sent again to the same case (a form refused and the file chosen again
    # beside the one it kept, or the same scan sent twice) is the evidence already there.
    already = session.scalars(
        select(Attachment)
        .where(Attachment.case_id == case_id, Attachment.sha256 == digest)
        .order_by(Attachment.id)
        .limit(1)
    ).first()
    if already is not None:
        return already
    attachment = Attachment(
        case_id=case_id,
        filename=name,
        content_type=CONTENT_TYPES[extension],
        size=size,
        sha256=digest,
        uploaded_by=user.id,
        uploaded_at=clock.now(),
    )
    session.add(attachment)
    session.flush()
    audit.record(session, "file.upload", actor=user, target=f"case:{case_id}", file=name, size=size)
    return attachment


def _copy_to_disk(
    session: Session, data_dir: Path, stream: IO[bytes], signatures: tuple[bytes, ...], name: str
) -> tuple[str, int]:
    """Stream to a temporary file, refusing as soon as the size limit is passed; only a file
    whose content is what its name says is moved into place. A file new to the store is
    removed again if the transaction that recorded it is rolled back."""
    try:
        return _stream_to_disk(session, data_dir, stream, signatures, name)
    except OSError as exc:  # the store's disk full, read-only or gone: not the person's doing
        log.error("an upload could not be stored in %s: %s", data_dir, exc)
        raise Unavailable(STORE_FAILED) from exc


STORE_FAILED = "文件存储失败（存储空间不足或不可写）：本次操作未保存，请稍后重试或联系系统管理员"


def _stream_to_disk(
    session: Session, data_dir: Path, stream: IO[bytes], signatures: tuple[bytes, ...], name: str
) -> tuple[str, int]:
    target_dir = data_dir / "attachments"
    target_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, temp_name = tempfile.mkstemp(dir=target_dir, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    raise InvalidInput(f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB")
                if len(head) < 16:
                    head = (head + chunk)[:16]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput("文件为空")
        if not head.startswith(signatures):
            raise InvalidInput(f"文件内容与扩展名不符：{name}")
        final = _path(data_dir, digest.hexdigest())
        if not final.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_name, final)
            session.info.setdefault(_NEW_FILES, []).append(final)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
    return digest.hexdigest(), size


@event.listens_for(Session, "after_commit")
def _new_files_kept(session: Session) -> None:
    session.info.pop(_NEW_FILES, None)


@event.listens_for(Session, "after_soft_rollback")
def _new_files_dropped(session: Session, previous_transaction: SessionTransaction) -> None:
    """A refused form stored its uploads before it was refused: files that no committed
    attachment names are removed with the rows that named them."""
    if previous_transaction.parent is not None:  # a savepoint: the outer work goes on
        return
    for path in session.info.pop(_NEW_FILES, []):
        path.unlink(missing_ok=True)


def keep_through_refusal(session: Session, attachments: list[Attachment]) -> None:
    """Uploads of a form that is then refused stay with the case, so that the form comes
    back with them attached (nobody uploads the same evidence twice): their files are not
    removed with the rollback, and their rows and upload records are written again, with
    the same ids, in a transaction of their own (core.db.keep_work). On the success path
    the rows exist already and nothing is written twice."""
    kept_paths = {a.sha256 for a in attachments}
    new_files = session.info.get(_NEW_FILES, [])
    session.info[_NEW_FILES] = [p for p in new_files if p.name not in kept_paths]
    rows = [
        {
            "id": a.id,
            "case_id": a.case_id,
            "filename": a.filename,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "uploaded_by": a.uploaded_by,
            "uploaded_at": a.uploaded_at,
        }
        for a in attachments
    ]

    def write(target: Session) -> None:
        for values in rows:
            existing = target.get(Attachment, values["id"])
            if existing is not None and (existing.sha256, existing.case_id) == (
                values["sha256"],
                values["case_id"],
            ):
                continue  # the work succeeded: the row is there
            if existing is not None:
                # SQLite gave the id to another upload after the rollback: keep this one
                # under a new id (the refused form names the old one, which the case's
                # attachment check then refuses, so nobody else's file is taken for it).
                values = {k: v for k, v in values.items() if k != "id"}
            target.add(Attachment(**values))
            target.flush()
            uploader = target.get(User, values["uploaded_by"])
            audit.record(
                target,
                "file.upload",
                actor=uploader,
                target=f"case:{values['case_id']}",
                file=values["filename"],
                size=values["size"],
            )

    keep_work(session, write)


def open_file(data_dir: Path, attachment: Attachment) -> Path:
    path = _path(data_dir, attachment.sha256)
    if not path.exists():
        raise NotFound("文件不存在")
    return path


def download(session: Session, user: User, data_dir: Path, attachment: Attachment) -> Path:
    """An evidence file for a person allowed to see its case: found, and its reading
    recorded (evidence names the people concerned)."""
    path = open_file(data_dir, attachment)
    audit.record(
        session,
        "file.download",
        actor=user,
        target=f"case:{attachment.case_id}",
        file=attachment.filename,
        attachment=attachment.id,
    )
    return path


def of_case(session: Session, case_id: int) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)
        )
    )


def require_own_attachments(
    session: Session, case_id: int, form: Form, data: Mapping[str, Any]
) -> None:
    """A form's file fields may name only files uploaded to this case: an id of another
    case's file would attach (and let its reader download) evidence it does not own."""
    refused: dict[str, str] = {}
    for spec in form.fields:
        if spec.type != "files":
            continue
        given = data.get(spec.name) or []
        values = given if isinstance(given, list) else [given]
        read = [row_id(str(v)) if isinstance(v, (int, str)) else None for v in values]
        ids = {i for i in read if i is not None}
        if None in read:
            refused[spec.name] = "附件编号无效"
            continue
        owned = set(
            session.scalars(
                select(Attachment.id).where(Attachment.id.in_(ids), Attachment.case_id == case_id)
            )
        )
        if owned != ids:
            refused[spec.name] = "附件不存在或不属于本案件，请重新上传"
    if refused:
        raise InvalidInput(fields=refused)


def add_comment(session: Session, user: User, case_id: int, text: str) -> Comment:
    text = text.strip()
    if not text:
        raise InvalidInput("意见内容不能为空")
    if len(text) > 2000:
        raise InvalidInput("意见不能超过 2000 字")
    ensure_case_open(session, case_id)
    comment = Comment(
        case_id=case_id,
        author_id=user.id,
        author_name=user.full_name or user.username,
        text=text,
        created_at=clock.now(),
    )
    session.add(comment)
    session.flush()
    audit.record(session, "case.comment", actor=user, target=f"case:{case_id}", comment=comment.id)
    return comment


def comments_of_case(session: Session, case_id: int) -> list[Comment]:
    return list(
        session.scalars(select(Comment).where(Comment.case_id == case_id).order_by(Comment.id))
    )
