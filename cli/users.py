"""`ykt user ...`: accounts, roles, passwords and API tokens."""

from __future__ import annotations

from datetime import datetime

import click

from campaign import accounts
from campaign.models.accounts import TOKEN_STATUS_LABELS, Role
from campaign.org import unit_by_code
from cli.context import AppContext, friendly_errors, pass_app, read_password
from core import clock
from core.db import MAX_ID
from core.errors import NotFound


@click.group(help="用户管理。")
def user() -> None:
    pass


@user.command("add", help="新建用户并授予一个单位角色；首次登录须修改密码。")
@click.argument("name")
@click.option("--unit", "unit_code", required=True, help="单位代码（见 ykt unit list）")
@click.option("--role", required=True, help="/".join(r.value for r in Role))
@click.option("--full-name", default="", help="姓名（不填则同用户名）")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取初始密码")
@pass_app
@friendly_errors
def add(
    app: AppContext, name: str, unit_code: str, role: str, full_name: str, password_stdin: bool
) -> None:
    password = read_password(password_stdin, prompt="初始密码")
    with app.transaction() as session:
        accounts.create_user(
            session,
            name,
            password,
            full_name=full_name or None,  # not given: the user name; given blank: refused
            unit_code=unit_code,
            role=role,
        )
    click.echo(f"已创建用户 {name}（{unit_code} / {role}），首次登录须修改密码")


@user.command("grant", help="为已有用户再授予一个单位角色。")
@click.argument("name")
@click.option("--unit", "unit_code", required=True)
@click.option("--role", required=True)
@pass_app
@friendly_errors
def grant(app: AppContext, name: str, unit_code: str, role: str) -> None:
    with app.transaction() as session:
        person = accounts.user_by_name(session, name)
        accounts.grant_role(
            session, person, unit_by_code(session, unit_code), accounts.parse_role(role)
        )
    click.echo(f"已授予 {name}：{unit_code} / {role}")


@user.command("revoke", help="撤销用户在某单位的一个角色。")
@click.argument("name")
@click.option("--unit", "unit_code", required=True)
@click.option("--role", required=True)
@pass_app
@friendly_errors
def revoke(app: AppContext, name: str, unit_code: str, role: str) -> None:
    with app.transaction() as session:
        person = accounts.user_by_name(session, name)
        unit = unit_by_code(session, unit_code)
        held = next((r for r in person.roles if r.unit_id == unit.id and r.role == role), None)
        if held is None:
            raise NotFound(f"{name} 在 {unit_code} 没有角色 {role}")
        revoked = accounts.revoke_role(session, held)
    click.echo(f"已撤销 {revoked}")


@user.command("list", help="列出用户及其角色。")
@pass_app
@friendly_errors
def list_users(app: AppContext) -> None:
    from sqlalchemy import select

    from campaign.models import User

    with app.transaction() as session:
        for person in session.scalars(select(User).order_by(User.username)):
            roles = ", ".join(f"{r.unit.code}/{r.role}" for r in person.roles)
            state = "启用" if person.enabled else "停用"
            click.echo(f"{person.username:<16} {person.full_name}\t{state}\t{roles}")


@user.command("passwd", help="重置用户密码；用户下次登录须再修改。")
@click.argument("name")
@click.option("--password-stdin", is_flag=True)
@pass_app
@friendly_errors
def passwd(app: AppContext, name: str, password_stdin: bool) -> None:
    password = read_password(password_stdin, prompt="新密码")
    with app.transaction() as session:
        person = accounts.user_by_name(session, name)
        accounts.set_password(session, person, password, must_change=True)
    click.echo(f"已重置 {name} 的密码")


@user.command("disable", help="停用用户：立即结束其会话并吊销其 API 令牌。")
@click.argument("name")
@pass_app
@friendly_errors
def disable(app: AppContext, name: str) -> None:
    with app.transaction() as session:
        accounts.disable_user(session, accounts.user_by_name(session, name))
    click.echo(f"已停用 {name}")


@user.command("enable", help="启用已停用的用户（须重新登录；令牌须重新签发）。")
@click.argument("name")
@pass_app
@friendly_errors
def enable(app: AppContext, name: str) -> None:
    with app.transaction() as session:
        accounts.enable_user(session, accounts.user_by_name(session, name))
    click.echo(f"已启用 {name}")


@user.command(
    "token", help="签发 API 令牌（只显示这一次，库中只存其摘要），有效期 YKT_TOKEN_DAYS 天。"
)
@click.argument("name")
@pass_app
@friendly_errors
def token(app: AppContext, name: str) -> None:
    days = app.settings.token_days
    with app.transaction() as session:
        value = accounts.issue_token(session, accounts.user_by_name(session, name), days=days)
    click.echo(value)


@user.command("tokens", help="列出用户的 API 令牌：编号、开头、签发、最近使用、到期、状态。")
@click.argument("name")
@pass_app
@friendly_errors
def list_tokens(app: AppContext, name: str) -> None:
    with app.transaction() as session:
        rows = accounts.tokens_of(session, accounts.user_by_name(session, name))
        now = clock.now()
        for row in rows:
            click.echo(
                "\t".join(
                    [
                        str(row.id),
                        row.prefix + "…",
                        f"签发 {local_datetime(row.created_at)}",
                        f"最近使用 {local_datetime(row.last_used_at) or '从未'}",
                        f"到期 {local_datetime(row.expires_at)}",
                        TOKEN_STATUS_LABELS[row.status(now)],
                    ]
                )
            )
    if not rows:
        click.echo(f"{name} 没有 API 令牌")


@user.command("revoke-token", help="吊销一个 API 令牌（编号见 ykt user tokens）。")
@click.argument("token_id", type=click.IntRange(1, MAX_ID))
@pass_app
@friendly_errors
def revoke_token(app: AppContext, token_id: int) -> None:
    with app.transaction() as session:
        row = accounts.revoke_token(session, token_id, None)
        owner = row.user.username
    click.echo(f"已吊销 {owner} 的令牌 {row.prefix}…")


def local_datetime(value: datetime | None) -> str:
    return value.astimezone(clock.LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if value else ""
