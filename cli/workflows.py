"""`ykt deploy` and `ykt worker`: process definitions (with their decision tables) and the
scheduler."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from campaign import deployment
from campaign.jobs import SCHEDULED_JOBS
from campaign.workflow_host import CampaignHost
from cli.context import AppContext, friendly_errors, pass_app
from core import heap
from engine.errors import DeploymentRefused
from engine.scheduler import Scheduler

EXIT_REFUSED = 2


@click.command(
    help="部署流程定义：一个或多个 BPMN 与 DMN 文件，作为一次部署（调用活动与业务规则任务可引用"
    "同批文件或已部署的流程、决策）。每个变化了的流程、决策生成新版本；"
    "任何文件有错误时逐条列出并以退出码 2 结束，不保存任何内容。"
)
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--as", "deployed_by", default="命令行", help="记录为部署人")
@pass_app
@friendly_errors
def deploy(app: AppContext, files: tuple[Path, ...], deployed_by: str) -> None:
    contents: list[tuple[str, bytes | str]] = [(file.name, file.read_bytes()) for file in files]
    try:
        with app.transaction() as session:
            deployed = deployment.deploy_files(
                session, CampaignHost(), contents, by_name=deployed_by, source="cli"
            )
    except DeploymentRefused as refused:
        names = "、".join(file.name for file in files)
        click.echo(f"未部署：{names} 有 {len(refused.findings)} 处问题", err=True)
        for finding in refused.findings:
            click.echo(f"  {finding}", err=True)
        sys.exit(EXIT_REFUSED)
    for item in deployed:
        what = "" if item.kind == "process" else "决策 "
        unchanged = "" if item.created else "（内容未变化，未生成新版本）"
        click.echo(f"{what}{item.key} v{item.version}{unchanged}")


@click.command(
    help="单独运行调度器：触发到期定时器和周期性任务（多个进程同时运行也只有一个在工作）。"
)
@click.option("--interval", default=30, show_default=True, help="检查间隔（秒）")
@pass_app
@friendly_errors
def worker(app: AppContext, interval: int) -> None:
    with app.transaction():
        pass  # refuses to start on a missing or outdated schema
    scheduler = Scheduler(app.database, CampaignHost(), interval=interval, jobs=SCHEDULED_JOBS)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    heap.settle_after_start()  # before the scheduler's first tick: nothing of a tick is frozen
    scheduler.start()
    click.echo(f"调度器已启动（{scheduler.holder}），每 {interval} 秒检查一次；Ctrl+C 停止")
    try:
        while not stopping.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop()
        click.echo("调度器已停止")
