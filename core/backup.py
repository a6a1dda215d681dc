"""Backups: the database, the uploaded files and the secret key in one dated directory.

A backup is written under a hidden temporary name and renamed at the very end, so a failed or
interrupted run never leaves something that looks like a backup. Nothing here knows the
campaign: the caller says which directory of files and which single files go in.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from core import schema
from core.db import Database

NAME_FORMAT = "ykt-backup-%Y%m%d-%H%M%S"
# Only directories named exactly like this are ever pruned.
NAME_PATTERN = re.compile(r"ykt-backup-\d{8}-\d{6}")
SQLITE_COPY = "database.sqlite3"
POSTGRESQL_DUMP = "database.dump"
FILES_DIR = "files"
FILES_LISTING = "files.sha256"
MANIFEST = "manifest.json"
CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """A backup could not be made; the message is for the operator."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    file_count: int
    manifest: dict[str, Any]


def create_backup(
    database: Database,
    output_dir: Path,
    *,
    at: datetime,
    files_dir: Path | None = None,
    single_files: tuple[Path, ...] = (),
) -> Backup:
    """Write `<output_dir>/ykt-backup-YYYYMMDD-HHMMSS` (from `at`, a local time)."""
    output_dir = output_dir.resolve()
    if files_dir is not None and output_dir.is_relative_to(files_dir.resolve()):
        raise BackupError(f"备份目录不能位于证据文件目录之内：{output_dir}")
    final = output_dir / at.strftime(NAME_FORMAT)
    if final.exists():
        raise BackupError(f"备份已存在：{final}（同一秒内只能备份一次）")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        # mkdtemp makes the directory 0700: a backup holds password hashes and the secret key.
        staging = Path(
            tempfile.mkdtemp(prefix=f".{final.name}-", suffix=".partial", dir=output_dir)
        )
    except OSError as exc:
        raise BackupError(f"无法创建备份目录 {output_dir}：{_reason(exc)}") from exc
    try:
        manifest = _write_parts(database, staging, at, files_dir, single_files)
        if final.exists():
            raise BackupError(f"备份已存在：{final}（同一秒内只能备份一次）")
        staging.rename(final)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BackupError(f"写入备份失败：{_reason(exc)}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    size = sum(p.stat().st_size for p in final.rglob("*") if p.is_file())
    return Backup(final, size, manifest["file_count"], manifest)


def _write_parts(
    database: Database,
    staging: Path,
    at: datetime,
    files_dir: Path | None,
    single_files: tuple[Path, ...],
) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    # The database first, the files after: files are written before the rows that name them
    # are committed and are never deleted, so every file the copied database refers to is
    # already on disk when the files are copied.
    if database.dialect == "sqlite":
        target = staging / SQLITE_COPY
        revision = copy_sqlite(database, target)
    else:
        target = staging / POSTGRESQL_DUMP
        revision = schema.current_revision(database)
        if revision is not None:
            dump_postgresql(database, target)
    if revision is None:
        raise BackupError("数据库尚未初始化，没有可备份的数据：请先运行 ykt init")
    parts["database"] = _describe(target, staging)
    file_count = 0
    if files_dir is not None and files_dir.is_dir():
        parts["files"] = _copy_files(files_dir, staging)
        file_count = parts["files"]["count"]
    for source in single_files:
        if source.is_file():
            shutil.copy2(source, staging / source.name)  # keeps the 0600 of the key file
            parts[source.name] = _describe(staging / source.name, staging)
    manifest = {
        "format": 1,
        "created_at": at.isoformat(timespec="seconds"),
        "database": {"kind": database.dialect, "revision": revision, "source": database.safe_url()},
        "file_count": file_count,
        "parts": parts,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    (staging / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def copy_sqlite(database: Database, target: Path) -> str | None:
    """A consistent copy through SQLite's online backup API, safe while the server writes;
    returns the copy's Alembic revision. Read from the copy, not the live file: the engine
    begins every transaction with BEGIN IMMEDIATE and would wait for the server's writes."""
    name = make_url(database.url).database
    if not name or name == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份")
    source_path = Path(name)
    if not source_path.is_file():
        raise BackupError(f"找不到 SQLite 数据库文件：{source_path}")
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        # All pages in one step: a snapshot under one read transaction. Copying in steps would
        # restart whenever the server commits in between, and might never finish.
        source.backup(copy)
        # One self-contained file: the copy should not need a -wal file beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise BackupError(f"SQLite 备份副本校验未通过：{verdict}")
        return _sqlite_revision(copy)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite 备份失败：{exc}") from exc
    finally:
        copy.close()
        source.close()


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    tables = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    if connection.execute(tables).fetchone() is None:
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def pg_dump_command(url: str, program: str, target: Path) -> tuple[list[str], dict[str, str]]:
    """The pg_dump call and its environment. The password goes in PGPASSWORD, never on the
    command line, where every user of the machine could read it in the process list."""
    parsed = make_url(url)
    libpq_url = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    ).render_as_string(hide_password=False)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    # --no-password: fail at once instead of waiting at a prompt no one sees (cron).
    argv = [program, "--format=custom", "--no-password", f"--file={target}", libpq_url]
    return argv, env


def dump_postgresql(database: Database, target: Path) -> None:
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError(
            "找不到 pg_dump：请安装 PostgreSQL 客户端"
            "（Debian：apt-get install postgresql-client），或把 pg_dump 所在目录加入 PATH"
        )
    argv, env = pg_dump_command(database.url, program, target)
    done = subprocess.run(  # noqa: S603 (a fixed program and our own arguments, no shell)
        argv,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
        preexec_fn=dies_with_parent(),  # safe: no threads run during a backup
    )
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else _exit_status(done.returncode)
        raise BackupError(f"pg_dump 导出数据库失败：{reason}")


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def dies_with_parent() -> Callable[[], None] | None:
    """For a child process: ask Linux to kill it when its parent dies, however the parent
    dies (kill -9 included), so that a killed `ykt backup` leaves no pg_dump writing on.
    A parent that died before the request was made is caught by its pid having changed.
    None elsewhere than on Linux (the child then outlives a parent killed outright; a
    SIGTERM or Ctrl+C still ends it through the command's own handling)."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()
    libc = ctypes.CDLL(None, use_errno=True)

    def request() -> None:  # runs in the child, between fork and exec
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)

    return request


def _exit_status(code: int) -> str:
    if code < 0:  # killed, e.g. SIGXFSZ when the file grew past a size limit
        return f"被信号 {signal.Signals(-code).name} 终止"
    return f"退出码 {code}"


def _copy_files(source: Path, staging: Path) -> dict[str, Any]:
    """Copy regular files, hashing them on the way; the listing is in `sha256sum` format,
    so `sha256sum -c` can check a restored copy."""
    digests: dict[str, str] = {}
    total = 0
    for folder, subfolders, names in os.walk(source):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        relative = Path(folder).relative_to(source)
        (staging / FILES_DIR / relative).mkdir(parents=True, exist_ok=True)
        for name in sorted(names):
            path = Path(folder) / name
            # Dot files are uploads still being written; they become real files by rename.
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            digest, size = _copy_and_hash(path, staging / FILES_DIR / relative / name)
            digests[(relative / name).as_posix()] = digest
            total += size
    listing = staging / FILES_LISTING
    text = "".join(f"{digests[name]}  {name}\n" for name in sorted(digests))
    listing.write_text(text, encoding="utf-8")
    return {
        "path": FILES_DIR,
        "count": len(digests),
        "size": total,
        "sha256": _sha256(listing),
        "listing": FILES_LISTING,
    }


def _copy_and_hash(source: Path, target: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as src, target.open("wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    shutil.copystat(source, target)
    return digest.hexdigest(), size


def _describe(path: Path, staging: Path) -> dict[str, Any]:
    return {
        "path": path.relative_to(staging).as_posix(),
        "size": path.stat().st_size,
        "sha256": _sha256(path),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def prune_backups(output_dir: Path, keep: int) -> list[Path]:
    """Delete the oldest backup directories beyond the newest `keep`; returns what went.
    Names sort by time, and anything not named like a backup is left alone."""
    if keep < 1:
        raise BackupError("--keep 至少为 1")
    backups = sorted(
        p
        for p in output_dir.iterdir()
        if NAME_PATTERN.fullmatch(p.name) and p.is_dir() and not p.is_symlink()
    )
    doomed = backups[:-keep]
    for path in doomed:
        try:
            shutil.rmtree(path)
        except OSError as exc:
            raise BackupError(f"无法删除旧备份 {path}：{_reason(exc)}") from exc
    return doomed


def _reason(exc: OSError) -> str:
    where = f"（{exc.filename}）" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"
