"""`ykt`: set up the database, manage units and users, run the server."""

from __future__ import annotations

import getpass
import socket

import click

from campaign import audit, bootstrap, demo, org
from campaign.jobs import SCHEDULED_JOBS
from campaign.workflow_host import CampaignHost
from cli import obligations as _obligations  # noqa: F401  (adds `ykt report status|return`)
from cli.audit import audit_group
from cli.backup import backup
from cli.bench import (
    bench,
    bench_compare,
    bench_completion,
    bench_deadlines,
    bench_http,
    bench_province,
    bench_reports,
)
from cli.campaigns import campaign_group
from cli.cases import case_group
from cli.comparison import compare_group, reference_group, roll_group
from cli.context import AppContext, friendly_errors, pass_app
from cli.demo import demo_group
from cli.figures import check_figures_command
from cli.filings import report
from cli.office import accountability_group, evaluation_group, inspection_group, supervise_group
from cli.reference_admin import household_group, place_group, programme_group
from cli.reports import export, import_ledger_command
from cli.users import user
from cli.workflows import deploy, worker
from core import heap, schema
from engine.scheduler import Scheduler


@click.group(help="惠民惠农财政补贴资金“一卡通”专项治理平台")
@click.pass_context
def ykt(ctx: click.Context) -> None:
    app = ctx.ensure_object(AppContext)
    ctx.call_on_close(app.close)
    # Every audit record a command makes says it came from the command line.
    ctx.with_resource(audit.client_context(audit.Client(source="cli", user_agent=_os_user())))


def _os_user() -> str:
    """The operating-system account that runs the command: who, for the audit record."""
    try:
        return f"ykt 命令行（系统用户 {getpass.getuser()}@{socket.gethostname()}）"
    except (KeyError, OSError):  # no user name known to the system (some containers)
        return "ykt 命令行（系统用户未知）"


@ykt.command(help="创建或升级数据库结构并载入基础数据（可重复运行，不会删除数据）。")
@click.option("--demo", "with_demo", is_flag=True, help="同时载入示例乡镇、村和各角色示例账户。")
@pass_app
@friendly_errors
def init(app: AppContext, with_demo: bool) -> None:
    before = schema.current_revision(app.database)
    schema.upgrade(app.database)
    after = schema.current_revision(app.database)
    if before != after:
        click.echo(f"数据库结构已升级：{before or '（空）'} → {after}")
    else:
        click.echo(f"数据库结构已是最新：{after}")
    with app.transaction() as session:
        report = bootstrap.initialise(session, with_demo=with_demo, data_dir=app.settings.data_dir)
    click.echo(f"基础数据已就绪：{report.campaign}")
    for line in report.deployed:
        click.echo(line)
    if report.demo_accounts_created is not None:
        click.echo(
            f"示例数据已就绪（本次新建示例账户 {report.demo_accounts_created} 个，"
            f"示例问题 {report.demo_problems_created} 个）"
        )
        _print_demo_accounts()


def _print_demo_accounts() -> None:
    click.echo(f"示例账户（密码均为 {demo.DEMO_PASSWORD}）：")
    for account in demo.DEMO_ACCOUNTS:
        click.echo(f"  {account.username:<10} {account.role.label}（{account.unit_code}）")


@ykt.group(help="单位管理。")
def unit() -> None:
    pass


@unit.command("list", help="列出全部单位：代码、名称、类型。")
@pass_app
@friendly_errors
def unit_list(app: AppContext) -> None:
    with app.transaction() as session:
        for item in org.all_units(session):
            indent = "  " * org.depth_of(item)
            click.echo(f"{item.code:<10} {indent}{item.name}\t{item.kind}")


@unit.command("population", help="设置区县或乡镇的总人口数（附件3“县总人口数”）；不给人数则清空。")
@click.argument("code")
@click.argument("population", type=click.IntRange(min=0), required=False)
@pass_app
@friendly_errors
def unit_population(app: AppContext, code: str, population: int | None) -> None:
    with app.transaction() as session:
        item = org.set_population(session, code.upper(), population, source="cli")
    shown = f"{population:,}" if population is not None else "（空）"
    click.echo(f"{item.name}（{item.code}）总人口数：{shown}")


@ykt.command(help="启动网页服务。")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="在本进程内运行调度器（另有 ykt worker 时可关闭；同时运行也只有一个在工作）",
)
@pass_app
@friendly_errors
def serve(app: AppContext, host: str, port: int, threads: int, scheduler: bool) -> None:
    from cli.serving import serve_until_stopped
    from web import create_app, health

    with app.transaction():
        pass  # refuses to start on a missing or outdated schema
    flask_app = create_app(database=app.database, settings=app.settings)
    embedded = Scheduler(app.database, CampaignHost(), jobs=SCHEDULED_JOBS) if scheduler else None
    heap.settle_after_start()  # before the scheduler's first tick: nothing of a tick is frozen
    if embedded is not None:
        embedded.start()

    def listening(bound_host: str, bound_port: int) -> None:
        click.echo(f"ykt 已启动：http://{bound_host}:{bound_port}/  （Ctrl+C 停止）")

    def stopping() -> None:
        click.echo("ykt 正在停止：不再接受新连接，处理完已收到的请求后退出")
        health.stopping.set()
        if embedded is not None:
            embedded.stop()  # the lease is given up now, not when it would expire

    try:
        serve_until_stopped(
            flask_app,
            host=host,
            port=port,
            threads=threads,
            on_listening=listening,
            on_stopping=stopping,
        )
    finally:
        if embedded is not None:
            embedded.stop()
    click.echo("ykt 已停止")


ykt.add_command(user)
ykt.add_command(bench)
ykt.add_command(bench_reports)
ykt.add_command(bench_deadlines)
ykt.add_command(bench_completion)
ykt.add_command(bench_compare)
ykt.add_command(bench_province)
ykt.add_command(bench_http)
ykt.add_command(export)
ykt.add_command(import_ledger_command)
ykt.add_command(report)
ykt.add_command(supervise_group)
ykt.add_command(inspection_group)
ykt.add_command(accountability_group)
ykt.add_command(evaluation_group)
ykt.add_command(check_figures_command)
ykt.add_command(deploy)
ykt.add_command(worker)
ykt.add_command(backup)
ykt.add_command(audit_group)
ykt.add_command(case_group)
ykt.add_command(roll_group)
ykt.add_command(reference_group)
ykt.add_command(compare_group)
ykt.add_command(programme_group)
ykt.add_command(place_group)
ykt.add_command(household_group)
ykt.add_command(campaign_group)
ykt.add_command(demo_group)


def main() -> None:
    ykt(prog_name="ykt")


if __name__ == "__main__":
    main()
