"""`ykt audit verify` and `ykt audit archive`: checking the audit log's hash chain, and moving
records older than six months to a signed file (docs/security.md)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from campaign import audit, audit_archive, audit_verify
from cli.context import DAY, AppContext, friendly_errors, pass_app

DEFAULT_ARCHIVE_DIR = "audit-archives"  # under the data dir, beside the backups


@click.group("audit", help="审计日志：校验记录链，归档 6 个月以前的记录。")
def audit_group() -> None:
    pass


@audit_group.command(
    "verify",
    help="按顺序校验全部审计记录的哈希链（或用 --file 校验一个归档文件）；"
    "发现问题时指出第一处断开的记录并以状态 1 退出。",
)
@click.option(
    "--file",
    "archive_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="ARCHIVE",
    help="校验 ykt audit archive 写出的归档文件（签名和记录链），不读数据库",
)
@pass_app
@friendly_errors
def verify(app: AppContext, archive_file: Path | None) -> None:
    if archive_file is not None:
        summary = audit_archive.verify_file(archive_file, app.settings.secret_key)
        click.echo(
            f"归档文件完好：{summary.count} 条记录（#{summary.from_id}–#{summary.to_id}），"
            f"签名正确，最后一条的哈希 {summary.last_hash}"
        )
        return
    # Read without the write lock: the walk takes seconds per 100,000 records, and on SQLite
    # the service's writes would wait for it (and give up after 30 s).
    with app.reading() as session:
        checked = audit_verify.verify(session)
    broken = checked.broken
    try:
        with app.transaction() as session:
            audit.record(
                session,
                "audit.verify",
                actor_name=audit.CLI_ACTOR,
                success=broken is None,
                verified=checked.count,
                broken_at=broken.record_id if broken is not None else None,
            )
    except SQLAlchemyError as error:  # a broken log may refuse the run's own record
        if broken is None:
            raise
        click.echo(f"（本次核对未能记入审计记录：{type(error).__name__}）", err=True)
    since = f"（自归档锚点 #{checked.start_id} 起）" if checked.start_id else ""
    if broken is not None:
        click.echo(
            f"审计记录链断开（{audit_verify.KIND_LABELS[broken.kind]}）：{broken.message}", err=True
        )
        click.echo(f"断开处之前已验证 {checked.count} 条记录{since}。", err=True)
        sys.exit(1)
    click.echo(
        f"审计记录链完整：已验证 {checked.count} 条记录{since}，"
        f"最后一条 #{checked.last_id}，哈希 {checked.last_hash}"
    )


@audit_group.command(
    "archive",
    help="把早于 --before 日期的审计记录导出到签名的归档文件，核对无误后从数据库删除，"
    "留下锚点供以后校验。记录至少保存 6 个月：日期须在 6 个月以前。",
)
@click.option(
    "--before",
    required=True,
    type=DAY,
    metavar="YYYY-MM-DD",
    help="归档此日（当地时间零点）以前的记录",
)
@click.option(
    "-o",
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help=f"归档文件存放目录（默认：数据目录下的 {DEFAULT_ARCHIVE_DIR}）",
)
@pass_app
@friendly_errors
def archive(app: AppContext, before: date, output_dir: Path | None) -> None:
    directory = output_dir or app.settings.data_dir / DEFAULT_ARCHIVE_DIR
    with app.transaction() as session:
        made = audit_archive.archive(
            session, before, directory, app.settings.secret_key, by=audit.CLI_ACTOR
        )
    click.echo(
        f"已归档 {made.count} 条审计记录（#{made.from_id}–#{made.to_id}）：{made.path}\n"
        f"这些记录已从数据库删除；其余记录从锚点 #{made.to_id}（哈希 {made.last_hash}）起校验。"
        "请把归档文件与备份一同保存。"
    )
