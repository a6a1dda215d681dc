"""`ykt demo province`: a province-size demo data set (campaign.province_build)."""

from __future__ import annotations

import time

import click
from sqlalchemy import text

from campaign import province_build
from cli.context import AppContext, friendly_errors, pass_app


@click.group("demo", help="示例数据。")
def demo_group() -> None:
    pass


@demo_group.command(
    "province",
    help="建立示例省：103 个县级单位、1,257 个乡镇、约 25,000 个村，"
    "100 万条处于各个阶段的问题台账和约 1,000 万条任务记录（PostgreSQL 上约 30 分钟以内）。",
)
@click.option(
    "--scale",
    type=float,
    default=1.0,
    show_default=True,
    help="规模比例，如 0.01 建立百分之一的示例省（SQLite 上不大于 0.02）。",
)
@click.option("--force", is_flag=True, help="数据库中已有台账或案件时仍然加入示例省。")
@pass_app
@friendly_errors
def province(app: AppContext, scale: float, force: bool) -> None:
    started = time.monotonic()

    def say(line: str) -> None:
        click.echo(f"[{time.monotonic() - started:7.1f} 秒] {line}", err=True)

    with app.transaction() as session:
        built = province_build.build(session, app.settings.data_dir, scale, force=force, say=say)
        say("提交事务……")
    say("提交完成")
    if app.database.dialect == "postgresql":
        say("整理统计信息（VACUUM ANALYZE）……")
        with app.database.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in province_build.LOADED_TABLES:
                connection.execute(text(f"VACUUM (ANALYZE) {table}"))
    else:
        with app.database.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
    click.echo(
        f"示例省已建立：问题台账 {built.entries:,} 条，"
        f"任务记录 {built.rows.get('work_item', 0) + built.rows.get('case_event', 0):,} 条"
        f"（待办/已办事项 {built.rows.get('work_item', 0):,}，流程事件 "
        f"{built.rows.get('case_event', 0):,}），用时 {time.monotonic() - started:.0f} 秒"
    )
