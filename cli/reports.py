"""`ykt export ...` (附件2, 附件3, the import template, the ledger) and `ykt import-ledger`."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.orm import Session

from campaign import accounts, reports
from campaign.audit import CLI_ACTOR
from campaign.ledger_import import import_ledger
from campaign.ledger_staged import import_staged
from campaign.reports import downloads
from campaign.reports.scope import ReportScope
from campaign.workflow_host import CampaignHost
from cli.context import DAY, AppContext, friendly_errors, pass_app

F = TypeVar("F", bound=Callable[..., Any])
PROGRESS_FROM = 500  # rows: smaller imports finish before progress would help


def _output(func: F) -> F:
    return click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help="输出文件（.xlsx）",
    )(func)


def _scope_options(func: F) -> F:
    func = click.option("--to", "date_to", type=DAY, default=None, help="截止日期 YYYY-MM-DD")(func)
    func = click.option("--from", "date_from", type=DAY, default=None, help="起始日期 YYYY-MM-DD")(
        func
    )
    return _campaign_unit(func)


def _campaign_unit(func: F) -> F:
    func = click.option(
        "--campaign", "campaign", default=None, help="专项治理活动的编号或代码（默认：进行中的）"
    )(func)
    return click.option(
        "--unit", "unit_code", default=None, help="单位代码：统计该单位及其下属（默认：全区）"
    )(func)


def _scope(
    session: Session,
    campaign: str | None,
    unit_code: str | None,
    date_from: date | None,
    date_to: date | None,
) -> ReportScope:
    """The scope the --unit, --campaign, --from and --to options ask for."""
    return reports.report_scope(
        session,
        campaign=campaign,
        unit_code=unit_code,
        date_from=date_from,
        date_to=date_to,
    )


@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """Write beside the target and rename at the end: a failed export leaves no half file."""
    directory = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=".ykt-", suffix=".xlsx", dir=directory)
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


@click.group(help="导出附件2、附件3、问题台账导入模板或问题台账（.xlsx）。")
def export() -> None:
    pass


@export.command("attachment2", help="附件2 问题统计表（单位：万元）。")
@_output
@_scope_options
@pass_app
@friendly_errors
def export_attachment2(
    app: AppContext,
    output: Path,
    unit_code: str | None,
    campaign: str | None,
    date_from: date | None,
    date_to: date | None,
) -> None:
    with app.transaction() as session, _atomic(output) as temporary:
        scope = _scope(session, campaign, unit_code, date_from, date_to)
        downloads.attachment2(session, scope, temporary, actor=None, actor_name=CLI_ACTOR)
    click.echo(f"已导出附件2 问题统计表：{output}（{_describe(scope)}）")


@export.command("attachment3", help="附件3 问题情况汇总表：每个县级单位一行，或按乡镇分行。")
@_output
@_scope_options
@click.option("--by-township", is_flag=True, help="按乡镇分行统计")
@pass_app
@friendly_errors
def export_attachment3(
    app: AppContext,
    output: Path,
    unit_code: str | None,
    campaign: str | None,
    date_from: date | None,
    date_to: date | None,
    by_township: bool,
) -> None:
    with app.transaction() as session, _atomic(output) as temporary:
        scope = _scope(session, campaign, unit_code, date_from, date_to)
        downloads.attachment3(
            session, scope, temporary, by_township=by_township, actor=None, actor_name=CLI_ACTOR
        )
    how = "，按乡镇分行" if by_township else ""
    click.echo(f"已导出附件3 问题情况汇总表：{output}（{_describe(scope)}{how}）")


@export.command("template", help="问题台账导入模板（含下拉选项）。")
@_output
@_campaign_unit
@pass_app
@friendly_errors
def export_template(
    app: AppContext, output: Path, unit_code: str | None, campaign: str | None
) -> None:
    with app.transaction() as session, _atomic(output) as temporary:
        scope = reports.report_scope(session, campaign=campaign, unit_code=unit_code)
        reports.export_template(session, scope.campaign_id, temporary, unit_code=unit_code or None)
    click.echo(f"已导出问题台账导入模板：{output}")


@export.command(
    "ledger", help="问题台账（整改台账：导入模板的各列及编号、整改、状态、销号等，可再次导入）。"
)
@_output
@_scope_options
@pass_app
@friendly_errors
def export_ledger(
    app: AppContext,
    output: Path,
    unit_code: str | None,
    campaign: str | None,
    date_from: date | None,
    date_to: date | None,
) -> None:
    with app.transaction() as session, _atomic(output) as temporary:
        scope = _scope(session, campaign, unit_code, date_from, date_to)
        count = downloads.ledger(session, scope, temporary, actor=None, actor_name=CLI_ACTOR)
    click.echo(f"已导出问题台账 {count} 条：{output}（{_describe(scope)}）")


def _describe(scope: ReportScope) -> str:
    return "，".join(part for part in (scope.unit_name, scope.period_label) if part)


@click.command(
    "import-ledger", help="从 Excel（问题台账导入模板）批量登记问题；任何一行有误则全部不导入。"
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="以该用户的身份登记（须有登记权限）")
@click.option("--dry-run", is_flag=True, help="只校验，不写入")
@pass_app
@friendly_errors
def import_ledger_command(app: AppContext, file: Path, username: str, dry_run: bool) -> None:
    if dry_run:
        with app.reading() as session:
            person = accounts.user_by_name(session, username)
            result = import_ledger(
                session, CampaignHost(), person, file, dry_run=True, progress=_Progress()
            )
    else:
        with app.reading() as session:
            person_id = accounts.user_by_name(session, username).id
        # In a transaction of its own: on SQLite the service keeps writing meanwhile.
        result = import_staged(app.database, CampaignHost(), person_id, file, progress=_Progress())
    if result.ignored_note:
        click.echo(result.ignored_note, err=bool(result.errors))
    if result.errors:
        click.echo(
            f"导入被拒绝：共 {len(result.errors)} 处错误，未导入任何数据。请改正后重新导入：",
            err=True,
        )
        for error in result.errors:
            click.echo(f"  {error}", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(f"校验通过：共 {result.rows} 行，均可导入（未写入任何数据）")
        return
    click.echo(
        f"已导入 {len(result.created)} 条问题（{result.created[0]} 至 {result.created[-1]} 等），"
        "均已进入待审核"
    )


class _Progress:
    """Progress of a long import on stderr: each phase, then about every 5 %."""

    def __init__(self) -> None:
        self.phase = ""
        self.shown = -1

    def __call__(self, phase: str, done: int, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        step = max(1, total // 20)
        if phase != self.phase or done == total or done // step != self.shown:
            self.phase, self.shown = phase, done // step
            click.echo(f"{phase}：{done}/{total}", err=True)
