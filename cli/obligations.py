"""`ykt report status` and `ykt report return`: 报送管理 from the command line, as the person
named with --as sees and does it on the page (the same services)."""

from __future__ import annotations

from pathlib import Path

import click

from campaign import accounts, report_overview, report_review
from campaign.current import chosen_campaign
from campaign.report_overview import STATES, OverviewFilters
from campaign.workflow_host import CampaignHost
from cli.context import AppContext, friendly_errors, pass_app
from cli.filings import report
from cli.reports import _atomic


@report.command("status", help="报送情况：各报送事项、期间、单位的状态（未报、逾期、已报、退回）。")
@click.option("--obligation", default="", help="报送事项代码，如 monthly_report、spot_check")
@click.option("--period", default="", help="期间，如 2022-06 或 2022")
@click.option("--state", default="", type=click.Choice(["", *STATES]), help="报送状态")
@click.option("--unit", "unit_code", default="", help="单位代码")
@click.option("--as", "username", required=True, help="以此用户的范围查看（办公室看全区）")
@click.option("--campaign", default=None, help="专项治理活动的编号或代码（默认：进行中的）")
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="导出为 Excel 文件（.xlsx），不给则逐行列出",
)
@pass_app
@friendly_errors
def status(
    app: AppContext,
    obligation: str,
    period: str,
    state: str,
    unit_code: str,
    username: str,
    campaign: str | None,
    output: Path | None,
) -> None:
    with app.reading() as session:
        shown = chosen_campaign(session, campaign).id
    filters = OverviewFilters(obligation, period, state, unit_code, campaign_id=shown)
    if output is not None:
        with app.transaction() as session, _atomic(output) as temporary:
            user = accounts.user_by_name(session, username)
            written = report_overview.export(session, user, filters, temporary)
        click.echo(f"已导出 {written} 项报送情况：{output}")
        return
    with app.reading() as session:
        user = accounts.user_by_name(session, username)
        rows = report_overview.all_rows(session, user, filters)
        lines = [
            f"#{r.obligation.id} {r.report_name} {r.obligation.period} "
            f"{r.obligation.unit.name}（{r.obligation.unit.code}）截止 {r.obligation.due_on} "
            f"{r.state_label}" + (f" 核对提示：{'；'.join(r.warnings)}" if r.warnings else "")
            for r in rows
        ]
    for line in lines:
        click.echo(line)
    click.echo(f"共 {len(lines)} 项")


@report.command("return", help="退回已报的报告（领导小组办公室）：报告回到单位经办人的待办。")
@click.argument("obligation_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--reason", required=True, help="退回理由")
@click.option("--as", "username", required=True, help="领导小组办公室的用户名")
@pass_app
@friendly_errors
def return_report(app: AppContext, obligation_id: int, reason: str, username: str) -> None:
    with app.transaction() as session:
        user = accounts.user_by_name(session, username)
        returned = report_review.return_report(session, CampaignHost(), user, obligation_id, reason)
        line = f"已退回{returned.unit.name}的报告（{returned.period}）：{reason.strip()}"
    click.echo(line)
