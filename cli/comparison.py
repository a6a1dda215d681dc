"""`ykt roll`, `ykt reference` and `ykt compare`: 数据比对 from the command line
(docs/comparison.md)."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from campaign.comparison import disclosure, keyring, references, rolls, rules, verification
from campaign.comparison.protection import KeyFile
from campaign.comparison.run import list_discrepancies, run_comparison
from campaign.comparison.sheets import ListRefused
from campaign.current import chosen_campaign
from campaign.workflow_host import CampaignHost
from cli.context import AppContext, friendly_errors, pass_app


def _actor() -> str:
    try:
        return f"命令行:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "命令行"


def _key_file(app: AppContext) -> KeyFile:
    return KeyFile.for_data_dir(app.settings.data_dir)


@contextmanager
def _rows_listed() -> Iterator[None]:
    """A refused list: the reason, then every bad row named, exit 1."""
    try:
        yield
    except ListRefused as refused:
        click.echo(f"错误：{refused}。请改正后重新导入：", err=True)
        for error in refused.errors:
            click.echo(f"  {error}", err=True)
        sys.exit(1)


@click.group("roll", help="发放名册。")
def roll_group() -> None:
    pass


@roll_group.command(
    "import", help="导入一个项目一个期间的发放名册（.xlsx 或 .csv），全部导入或全部不导入。"
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--programme", required=True, help="补贴项目代码，如 P11")
@click.option("--period", required=True, help="发放期间 YYYY-MM，如 2022-06")
@pass_app
@friendly_errors
def roll_import(app: AppContext, file: Path, programme: str, period: str) -> None:
    with _rows_listed(), app.transaction() as session:
        done = rolls.import_roll(
            session,
            _key_file(app),
            file,
            programme_code=programme,
            period=period,
            file_name=file.name,
            actor_name=_actor(),
            progress=lambda rows: click.echo(f"已读入 {rows} 行", err=True),
        )
    click.echo(
        f"已导入发放名册 #{done.roll_id}：项目 {done.programme}，期间 {done.period}，"
        f"{done.rows} 行，合计 {done.amount_fen / 100:,.2f} 元"
    )


@click.group("reference", help="参照名单：死亡人员、财政供养人员、其他项目享受对象、项目标准。")
def reference_group() -> None:
    pass


@reference_group.command("import", help="导入参照名单（替换同类名单；标准按项目替换）。")
@click.argument("kind", type=click.Choice(list(references.LISTS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
@friendly_errors
def reference_import(app: AppContext, kind: str, file: Path) -> None:
    with _rows_listed(), app.transaction() as session:
        done = references.import_list(session, _key_file(app), kind, file, actor_name=_actor())
    click.echo(f"已导入{references.LISTS[kind]}：{done.rows} 行")


@click.group("compare", help="数据比对：按规则比对发放名册与参照名单，列出疑点。")
def compare_group() -> None:
    pass


@compare_group.command("run", help="运行全部启用的规则；已发现的疑点不会重复产生。")
@click.option("--programme", default=None, help="只比对此项目的名册")
@click.option("--period", default=None, help="只比对此期间（YYYY-MM）")
@pass_app
@friendly_errors
def compare_run(app: AppContext, programme: str | None, period: str | None) -> None:
    with app.transaction() as session:
        result = run_comparison(
            session, programme_code=programme, period=period, actor_name=_actor()
        )
        started = verification.start_cases(session, CampaignHost(), actor_name=_actor())
        names = {rule.code: rule.name for rule in rules.all_rules(session)}
    for code, raised in result.raised.items():
        click.echo(f"{code} {names[code]}：新疑点 {raised}（{result.seconds[code]:.2f} 秒）")
    for code in result.skipped:
        click.echo(f"{code} {names[code]}：未启用")
    click.echo(f"共产生新疑点 {result.total} 个，发起核实 {started} 件（送乡镇待办）")


@compare_group.command("list", help="列出疑点（人员信息已屏蔽）。")
@click.option("--programme", default=None)
@click.option("--period", default=None)
@click.option("--rule", "rule_code", default=None, help="规则代码，如 R01")
@click.option("--township", default=None, help="乡镇代码，如 QSZ")
@click.option(
    "--status", default=None, help="open 待核实、verifying 核实中、confirmed 属实、refuted 不属实"
)
@click.option("--page", default=1, type=click.IntRange(1, 100_000))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.option("--campaign", default=None, help="专项治理活动的编号或代码（默认：进行中的）")
@pass_app
@friendly_errors
def compare_list(
    app: AppContext,
    programme: str | None,
    period: str | None,
    rule_code: str | None,
    township: str | None,
    status: str | None,
    page: int,
    as_json: bool,
    campaign: str | None,
) -> None:
    with app.reading() as session:
        found = list_discrepancies(
            session,
            _key_file(app),
            programme_code=programme,
            period=period,
            rule_code=rule_code,
            township_code=township,
            status=status,
            page=page,
            campaign_id=chosen_campaign(session, campaign).id,
        )
    if as_json:
        body = {
            "total": found.total,
            "page": found.number,
            "pages": found.pages,
            "items": [item.as_json() for item in found.items],
        }
        click.echo(json.dumps(body, ensure_ascii=False, indent=1))
        return
    for item in found.items:
        click.echo(
            f"#{item.id} {item.rule} {item.rule_name}（第 {item.rule_version} 版） "
            f"{item.programme} {item.period} {item.township} {item.village} {item.person} "
            f"{item.rows} 笔 {item.amount_fen / 100:,.2f} 元 {item.status_label}"
        )
    click.echo(f"共 {found.total} 个疑点（第 {found.number}/{found.pages} 页）")


@compare_group.command("rules", help="列出比对规则：代码、类别、参数、是否启用、版本。")
@pass_app
@friendly_errors
def compare_rules(app: AppContext) -> None:
    with app.reading() as session:
        rates = {rate.code: rate for rate in disclosure.hit_rates(session)}
        for rule in rules.all_rules(session):
            state = "启用" if rule.enabled else "停用"
            rate = rates[rule.code]
            click.echo(
                f"{rule.code} {rule.name}（{rules.KINDS[rule.kind].label}）{state} "
                f"第 {rule.version} 版 参数 {json.dumps(rules.parameters(rule))} "
                f"疑点 {rate.raised} 属实 {rate.confirmed} 不属实 {rate.refuted} "
                f"待核实 {rate.pending} 命中率 {rate.rate_text}"
            )


@compare_group.command("rule", help="修改一条规则（每次修改产生新版本）。")
@click.argument("code")
@click.option("--set", "settings", multiple=True, metavar="参数=整数", help="如 max_people=3")
@click.option("--enable/--disable", default=None)
@click.option("--name", default=None)
@pass_app
@friendly_errors
def compare_rule(
    app: AppContext, code: str, settings: tuple[str, ...], enable: bool | None, name: str | None
) -> None:
    params: dict[str, object] = {}
    for setting in settings:
        key, _, value = setting.partition("=")
        try:
            params[key.strip()] = int(value)
        except ValueError:
            raise click.ClickException(f"参数须写作 名称=整数：{setting}") from None
    with app.transaction() as session:
        rule = rules.change(
            session,
            code,
            params=params or None,
            enabled=enable,
            name=name,
            actor_name=_actor(),
        )
        shown = f"{rule.code} 第 {rule.version} 版：参数 {rule.params}，"
        shown += "启用" if rule.enabled else "停用"
    click.echo(shown)


@compare_group.command("rotate-key", help="更换比对密钥：重新加密并重新计算全部身份证号、卡号。")
@pass_app
@friendly_errors
def compare_rotate_key(app: AppContext) -> None:
    key_file = _key_file(app)
    with app.transaction() as session:
        keyring.protector(session, key_file)  # the generation in force is recorded first
    new = keyring.prepare_rotation(key_file)
    with app.transaction() as session:
        done = keyring.rotate(session, key_file, new, actor_name=_actor())
    keyring.finish_rotation(key_file, done.new)
    click.echo(
        f"比对密钥已更换：第 {done.old} 代 → 第 {done.new} 代，重新加密 {done.values} 个号码"
    )
