"""`ykt case start` and `ykt case message`: start a case of any deployed process, deliver a
message to the cases that wait for it."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from campaign import accounts, case_starts, message_delivery
from campaign.workflow_host import CampaignHost
from cli.context import AppContext, friendly_errors, pass_app
from core.errors import InvalidInput

EXIT_NOBODY_WAITS = 3


def _data(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"--data 不是有效的 JSON：{exc.args[0] if exc.args else exc}") from None


@click.group("case", help="案件：发起流程、向等待中的案件发送消息。")
def case_group() -> None:
    pass


@case_group.command(
    "start",
    help=(
        "以某个用户的身份发起流程 KEY（最新版本），打印案件编号和状态；"
        "不能发起时说明原因并以退出码 1 结束。"
    ),
)
@click.argument("key")
@click.option("--unit", "unit_code", required=True, help="为哪个单位发起（单位代码）")
@click.option("--data", "data", default=None, help="开始表单或初始数据（JSON 对象）")
@click.option(
    "--as", "username", required=True, help="以该用户的身份发起（须有开始事件所在泳道的角色）"
)
@pass_app
@friendly_errors
def start(app: AppContext, key: str, unit_code: str, data: str | None, username: str) -> None:
    with app.transaction() as session:
        person = accounts.user_by_name(session, username)
        case = case_starts.start(
            session, CampaignHost(), person, key, unit_code, _data(data), source="cli"
        )
        case_id, status, label = case.id, case.status, case.definition.label
    click.echo(f"已发起案件 #{case_id}（{label}），状态：{status}")


@case_group.command(
    "message",
    help=(
        "发送消息 NAME：送达所有以关联键等待它的案件；无人等待时，启动以它开始的流程。"
        f"退出码：0 已送达或已启动，{EXIT_NOBODY_WAITS} 无人等待，1 被拒绝。"
    ),
)
@click.argument("name")
@click.option("--key", "key", default=None, help="关联键的值")
@click.option("--data", "data", default=None, help="随消息发送的数据（JSON 对象）")
@click.option("--unit", "unit_code", default="", help="由消息启动的案件属于哪个单位（单位代码）")
@click.option("--as", "by_name", default="命令行", help="记录为发送人")
@pass_app
@friendly_errors
def message(
    app: AppContext, name: str, key: str | None, data: str | None, unit_code: str, by_name: str
) -> None:
    try:
        with app.transaction() as session:
            done = message_delivery.deliver(
                session,
                CampaignHost(),
                None,
                name,
                key,
                _data(data),
                unit_code=unit_code,
                by_name=by_name,
                source="cli",
            )
            said = done.describe()
    except message_delivery.NobodyWaits as nobody:
        click.echo(f"无人等待：{nobody}", err=True)
        sys.exit(EXIT_NOBODY_WAITS)
    click.echo(said)
