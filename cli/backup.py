"""`ykt backup`: the database, the evidence files and the secret key, into a dated directory
(restoring: docs/operations.md)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from campaign import audit
from cli.context import AppContext, friendly_errors, pass_app
from core import clock, schema
from core.backup import Backup, BackupError, create_backup, prune_backups
from core.config import SECRET_KEY_FILE

# Where campaign/files.py keeps evidence under the data dir (by content hash below it).
ATTACHMENTS_DIR = "attachments"
DEFAULT_OUTPUT_DIR = "backups"  # under the data dir


@click.command(
    help="备份数据库、证据文件和密钥到一个带时间的新目录（恢复方法见 docs/operations.md）。"
)
@click.option(
    "-o",
    "--output",
    "output_dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    default=None,
    help="备份存放目录（默认：数据目录下的 backups）",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    metavar="N",
    default=None,
    help="备份后只保留最新的 N 份，删除更早的 ykt-backup-* 目录（默认：全部保留）",
)
@pass_app
@friendly_errors
def backup(app: AppContext, output_dir: Path | None, keep: int | None) -> None:
    # SIGTERM (systemd, a timeout) ends the backup as Ctrl+C does: the half-written directory
    # is removed and pg_dump is stopped, instead of the process vanishing mid-way.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        _backup(app, output_dir, keep)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _backup(app: AppContext, output_dir: Path | None, keep: int | None) -> None:
    settings = app.settings
    target = output_dir if output_dir is not None else settings.data_dir / DEFAULT_OUTPUT_DIR
    try:
        made = create_backup(
            app.database,
            target,
            at=clock.local_now(),
            files_dir=settings.data_dir / ATTACHMENTS_DIR,
            single_files=(settings.instance_dir / SECRET_KEY_FILE,),
        )
        _record(app, made)
        click.echo(f"备份完成：{made.path}（{_size(made.size)}，证据文件 {made.file_count:,} 个）")
        if keep is not None:
            removed = prune_backups(made.path.parent, keep)
            for path in removed:
                click.echo(f"已删除较早的备份：{path.name}")
            if removed:
                _record_pruning(app, made, removed)
    except BackupError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:  # Ctrl+C or SIGTERM: pg_dump was stopped, nothing was left
        click.echo("备份已中断，未留下任何内容", err=True)
        sys.exit(1)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _recordable(app: AppContext) -> bool:
    """Backing up an older schema is right (back up, then upgrade), but its audit table
    lacks what a record now holds (the hash chain): such a backup is not recorded, and the
    command says so."""
    if schema.current_revision(app.database) == schema.head_revision():
        return True
    click.echo(
        "注意：数据库结构不是最新版本，本次操作未写入审计日志（ykt init 升级后恢复记录）",
        err=True,
    )
    return False


def _record(app: AppContext, made: Backup) -> None:
    # Its own short transaction, after the copy: the copy never waits on it, and it is only
    # written for a backup that exists.
    if not _recordable(app):
        return
    with app.transaction(require_schema=False) as session:
        audit.record(
            session,
            "system.backup",
            target=made.path.name,
            source="cli",
            database=made.manifest["database"]["kind"],
            revision=made.manifest["database"]["revision"],
            size=made.size,
            files=made.file_count,
        )


def _record_pruning(app: AppContext, made: Backup, removed: list[Path]) -> None:
    if not _recordable(app):
        return
    with app.transaction(require_schema=False) as session:
        audit.record(
            session,
            "system.backup_prune",
            target=str(made.path.parent),
            source="cli",
            removed=[path.name for path in removed],
        )


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"
