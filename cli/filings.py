"""`ykt report ...`: file a statutory table (报送), list the filings, download one exactly as
filed, verify them, and show what changed since one."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from campaign import accounts
from campaign.audit import CLI_ACTOR
from campaign.current import chosen_campaign
from campaign.models import FiledTable, ReportFiling
from campaign.org import unit_by_code
from campaign.reports import filing
from cli.context import AppContext, friendly_errors, pass_app
from cli.reports import _atomic, _describe, _output, _scope, _scope_options


@click.group(help="报送统计表（附件2、附件3）并查看、下载、校验报送留档。")
def report() -> None:
    pass


@report.command(
    "file",
    help="以当前数字报送附件2或附件3；报送后的版本连同填表人、审核人、填报日期永久留档。",
)
@click.argument("table", type=click.Choice(["attachment2", "attachment3"]))
@_scope_options
@click.option("--by-township", is_flag=True, help="附件3 按乡镇分行")
@click.option("--as", "username", required=True, help="填表人：领导小组办公室的用户名")
@click.option("--reviewer", required=True, help="审核人的用户名（另一位办公室成员或单位负责人）")
@pass_app
@friendly_errors
def file_table(
    app: AppContext,
    table: str,
    unit_code: str | None,
    campaign: str | None,
    date_from: datetime | None,
    date_to: datetime | None,
    by_township: bool,
    username: str,
    reviewer: str,
) -> None:
    if by_township and table != "attachment3":
        raise click.UsageError("--by-township 只适用于 attachment3")
    kind = FiledTable.ATTACHMENT3_BY_TOWNSHIP if by_township else FiledTable(table)
    with app.transaction() as session:
        scope = _scope(session, campaign, unit_code, date_from, date_to)
        filed = filing.file_table(
            session,
            accounts.user_by_name(session, username),
            scope,
            kind,
            accounts.user_by_name(session, reviewer),
        )
        line = _line(filed)
    click.echo(f"已报送：{line}（{_describe(scope)}）")


@report.command("filings", help="报送留档列表，最新的在前。")
@click.option("--unit", "unit_code", default=None, help="只列该单位的报送")
@click.option("--page", default=1, type=click.IntRange(1, 100_000), help="页码")
@click.option("--campaign", default=None, help="专项治理活动的编号或代码（默认：进行中的）")
@pass_app
@friendly_errors
def list_filings(app: AppContext, unit_code: str | None, page: int, campaign: str | None) -> None:
    with app.reading() as session:
        unit_id = unit_by_code(session, unit_code).id if unit_code else None
        shown = chosen_campaign(session, campaign).id
        found = filing.filings(session, None, unit_id=unit_id, campaign_id=shown, page=page)
        lines = [_line(f) for f in found.items]
    if not lines:
        click.echo("没有报送留档")
        return
    for line in lines:
        click.echo(line)
    click.echo(f"第 {found.number}/{found.pages} 页，共 {found.total} 份")


def _line(filed: ReportFiling) -> str:
    period = filed.period or "全部时段"
    return (
        f"#{filed.id} {filed.table.label} {filed.filing_unit}（{filed.unit.code}）{period} "
        f"第 {filed.version} 次报送 填表人：{filed.filer_name} 审核人：{filed.reviewer_name} "
        f"填报日期：{filed.filed_on} SHA-256：{filed.figures_sha256}"
    )


@report.command("download", help="下载报送时的 Excel 原件（与报送时逐字节相同）。")
@click.argument("filing_id", type=click.IntRange(1, 2**31 - 1))
@_output
@pass_app
@friendly_errors
def download(app: AppContext, filing_id: int, output: Path) -> None:
    with app.transaction() as session, _atomic(output) as temporary:
        _, workbook = filing.download(session, filing_id, user=None, actor_name=CLI_ACTOR)
        temporary.write_bytes(workbook)
    click.echo(f"已下载第 {filing_id} 号报送原件：{output}")


@report.command("verify", help="校验报送留档未被改动（不给编号则校验全部）；有不符时退出码为 1。")
@click.argument("filing_id", required=False, type=click.IntRange(1, 2**31 - 1))
@pass_app
@friendly_errors
def verify(app: AppContext, filing_id: int | None) -> None:
    failed = 0
    with app.reading() as session:
        if filing_id is not None:
            chosen = [filing.get(session, filing_id, None)]
        else:
            chosen = list(session.query(ReportFiling).order_by(ReportFiling.id))
        for filed in chosen:
            checked = filing.verify(session, filed)
            if checked.ok:
                click.echo(f"#{filed.id} 校验通过")
            else:
                failed += 1
                click.echo(f"#{filed.id} 校验未通过：{'；'.join(checked.faults)}", err=True)
    if failed:
        sys.exit(1)


@report.command("changes", help="列出某份报送之后数字变化的单元格。")
@click.argument("filing_id", type=click.IntRange(1, 2**31 - 1))
@pass_app
@friendly_errors
def changes(app: AppContext, filing_id: int) -> None:
    with app.reading() as session:
        filed = filing.get(session, filing_id, None)
        found = filing.changes_since(session, filed)
    if not found:
        click.echo(f"与第 {filing_id} 号报送相比，没有变化")
        return
    for change in found:
        old, new = change.shown(change.filed), change.shown(change.current)
        exact = f"（{change.exact(change.filed)} → {change.exact(change.current)}）"
        click.echo(
            f"{change.row_name} · {change.column_name}：{old} → {new}"
            + (exact if change.money else "")
        )
