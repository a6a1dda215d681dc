"""`ykt check-figures`: the reconciliation of 附件2, 附件3 and the ledger (数字核对).

Exit status, as diff and grep use it: 0 the figures agree (warnings may be printed), 1 at
least one inconsistency (or, with --strict, a warning), 2 the check could not run (a bad
option, an unknown unit or campaign, no database)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date
from typing import NoReturn

import click
from sqlalchemy.exc import OperationalError

from campaign import reports
from campaign.reports.findings import Finding, Reconciliation
from campaign.reports.reconciliation import check_figures
from cli.context import AppContext, pass_app
from core.days import NotADay, read_day
from core.db import DatabaseUnavailable, first_line
from core.errors import AppError

CONSISTENT, INCONSISTENT, CANNOT_CHECK = 0, 1, 2


class _OneLineUsage(click.Command):
    """A bad option is one line on stderr and exit status 2, not click's usage block."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            _fail(exc.format_message())


def _fail(message: str) -> NoReturn:
    click.echo(f"错误：{message}", err=True)
    sys.exit(CANNOT_CHECK)


def _day(option: str, text: str | None) -> date | None:
    if not text:
        return None
    try:
        return read_day(text)
    except NotADay as refused:
        _fail(f"{option} {refused}，收到“{text}”")


@click.command(
    "check-figures",
    cls=_OneLineUsage,
    help="核对附件2、附件3与问题台账的数字，列出每一处不一致：一致时输出“数字一致”并以状态 0 "
    "退出；有不一致时逐条列出并以状态 1 退出（提示不影响退出状态，--strict 时也以 1 退出）；"
    "选项有误或无法核对时以状态 2 退出。",
)
@click.option("--unit", "unit_code", default=None, help="单位代码：核对该单位及其下属（默认全区）")
@click.option("--campaign", default=None, help="专项治理活动的编号或代码（默认：进行中的）")
@click.option("--from", "date_from", default=None, help="起始日期 YYYY-MM-DD")
@click.option("--to", "date_to", default=None, help="截止日期 YYYY-MM-DD")
@click.option("--strict", is_flag=True, help="提示（如月报与台账张数不同）也以状态 1 退出")
@pass_app
def check_figures_command(
    app: AppContext,
    unit_code: str | None,
    campaign: str | None,
    date_from: str | None,
    date_to: str | None,
    strict: bool,
) -> None:
    first, last = _day("--from", date_from), _day("--to", date_to)
    try:
        with app.reading() as session:
            scope = reports.report_scope(
                session,
                campaign=campaign,
                unit_code=unit_code.upper() if unit_code else None,
                date_from=first,
                date_to=last,
            )
            result = check_figures(session, scope)
    except (AppError, DatabaseUnavailable, click.ClickException) as exc:
        _fail(exc.format_message() if isinstance(exc, click.ClickException) else str(exc))
    except OperationalError as exc:
        _fail(f"数据库操作失败：{first_line(exc)}")
    for line in report_lines(result):
        click.echo(line)
    failed = not result.consistent or (strict and bool(result.warnings))
    sys.exit(INCONSISTENT if failed else CONSISTENT)


def report_lines(result: Reconciliation) -> list[str]:
    lines = []
    if result.consistent:
        lines.append("数字一致")
        lines.append(f"核对范围：{result.scope_label}；附件2、附件3与台账一致。")
    else:
        lines.append(f"发现 {len(result.errors)} 处不一致（核对范围：{result.scope_label}）：")
        lines.extend(_finding_lines(result.errors))
    if result.warnings:
        lines.append(f"提示 {len(result.warnings)} 条（不影响数字一致）：")
        lines.extend(_finding_lines(result.warnings))
    return lines


def _finding_lines(findings: Sequence[Finding]) -> list[str]:
    lines = []
    for number, finding in enumerate(findings, start=1):
        lines.append(f"  {number}. [{finding.severity.label}] {finding.message}")
        if finding.records:
            named = "、".join(record.reference for record in finding.records)
            more = f" 等（另有 {finding.more_records} 条）" if finding.more_records else ""
            lines.append(f"     涉及记录：{named}{more}")
    return lines
