"""`ykt programme`, `ykt place` and `ykt household`: the reference data the administrator also
keeps on the pages under 基础数据 (docs/operations.md, "Reference data")."""

from __future__ import annotations

from pathlib import Path

import click

from campaign import households, places, programmes, reference_import
from campaign.comparison.household_types import LISTED
from campaign.current import active_campaign, chosen_campaign
from cli.comparison import _actor, _key_file, _rows_listed
from cli.context import AppContext, friendly_errors, pass_app

PER_PAGE = 100


def _import(app: AppContext, key: str, file: Path) -> None:
    kind = reference_import.kind_of(key)
    with _rows_listed(), app.transaction() as session:
        done = reference_import.import_sheet(
            session,
            kind,
            file,
            campaign=active_campaign(session),
            key_file=_key_file(app),
            actor_name=_actor(),
        )
    click.echo(f"已导入{kind.title} {done.rows} 行")


def _template(key: str, output: Path) -> None:
    kind = reference_import.kind_of(key)
    output.write_bytes(reference_import.write_template(kind))
    click.echo(f"已写出{kind.title}导入模板：{output}")


def _state(active: bool) -> str:
    return "" if active else "\t（已停用）"


# ---- 补贴项目 ---------------------------------------------------------------------------


@click.group("programme", help="补贴项目：中央、省级、市级、县级项目及其子项目。")
def programme_group() -> None:
    pass


@programme_group.command("list", help="列出本次活动的补贴项目（子项目缩进）。")
@click.option("--search", default="", help="按代码或名称查找")
@pass_app
@friendly_errors
def programme_list(app: AppContext, search: str) -> None:
    with app.reading() as session:
        campaign = active_campaign(session)
        page, number = None, 1
        while page is None or number <= page.pages:
            page = programmes.listing(
                session, campaign, programmes.ProgrammeFilters(search=search), number, PER_PAGE
            )
            for p in page.items:
                indent = "  " if p.parent_id else ""
                level = programmes.LEVELS.get(p.level, p.level)
                click.echo(f"{p.code:<10} {indent}{p.name}\t{level}{_state(p.active)}")
            number += 1


@programme_group.command("add", help="新增补贴项目；子项目用 --parent 指定所属一级项目。")
@click.argument("code")
@click.argument("name")
@click.option("--level", required=True, help="中央、省级、市级或县级")
@click.option("--parent", default="", help="上级项目代码（子项目）")
@pass_app
@friendly_errors
def programme_add(app: AppContext, code: str, name: str, level: str, parent: str) -> None:
    with app.transaction() as session:
        made = programmes.add_programme(
            session, active_campaign(session), code, name, level, parent, actor_name=_actor()
        )
        click.echo(f"已新增补贴项目 {made.code} {made.name}")


@programme_group.command("edit", help="修改补贴项目的名称、级次或上级项目（代码不能改）。")
@click.argument("code")
@click.option("--name", default=None)
@click.option("--level", default=None, help="中央、省级、市级或县级")
@click.option("--parent", default=None, help="上级项目代码；空字符串表示改为一级项目")
@pass_app
@friendly_errors
def programme_edit(
    app: AppContext, code: str, name: str | None, level: str | None, parent: str | None
) -> None:
    with app.transaction() as session:
        campaign = active_campaign(session)
        now = programmes.programme_by_code(session, campaign, code)
        parent_code = ""
        if parent is None and now.parent_id is not None:
            parent_code = next(p.code for p in campaign.programmes if p.id == now.parent_id)
        made = programmes.edit_programme(
            session,
            campaign,
            code,
            name=now.name if name is None else name,
            level=now.level if level is None else level,
            parent_code=parent_code if parent is None else parent,
            actor_name=_actor(),
        )
        click.echo(f"已修改补贴项目 {made.code} {made.name}")


@programme_group.command("deactivate", help="停用补贴项目（已有问题仍保留该项目）。")
@click.argument("code")
@pass_app
@friendly_errors
def programme_deactivate(app: AppContext, code: str) -> None:
    with app.transaction() as session:
        campaign = active_campaign(session)
        made = programmes.set_active(session, campaign, code, False, actor_name=_actor())
        used = programmes.references(session, made)
        click.echo(f"已停用补贴项目 {made.code} {made.name}（{used} 条问题仍记在该项目下）")


@programme_group.command("activate", help="重新启用补贴项目。")
@click.argument("code")
@pass_app
@friendly_errors
def programme_activate(app: AppContext, code: str) -> None:
    with app.transaction() as session:
        campaign = active_campaign(session)
        made = programmes.set_active(session, campaign, code, True, actor_name=_actor())
        click.echo(f"已启用补贴项目 {made.code} {made.name}")


@programme_group.command("import", help="从 Excel 导入补贴项目：全部导入或全部不导入。")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
@friendly_errors
def programme_import(app: AppContext, file: Path) -> None:
    _import(app, "programmes", file)


@programme_group.command("template", help="写出补贴项目导入模板。")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def programme_template(output: Path) -> None:
    _template("programmes", output)


# ---- 乡镇和村 ---------------------------------------------------------------------------


@click.group("place", help="乡镇和村（社区）。")
def place_group() -> None:
    pass


@place_group.command("list", help="列出乡镇及其村（社区）。")
@click.option("--search", default="", help="按代码或名称查找")
@click.option("--township", default="", help="只列这个乡镇及其村")
@pass_app
@friendly_errors
def place_list(app: AppContext, search: str, township: str) -> None:
    with app.reading() as session:
        filters = places.PlaceFilters(search=search, township=township)
        page, number = None, 1
        while page is None or number <= page.pages:
            page = places.listing(session, filters, number, PER_PAGE)
            for row in page.items:
                unit = row.unit
                if row.township is None:
                    click.echo(f"{unit.code:<10} {unit.name}\t乡镇{_state(unit.active)}")
                else:
                    shown = f"村\t{row.households} 户"
                    click.echo(f"{unit.code:<10}   {unit.name}\t{shown}{_state(unit.active)}")
            number += 1


@place_group.command("add-township", help="新增乡镇。")
@click.argument("code")
@click.argument("name")
@pass_app
@friendly_errors
def place_add_township(app: AppContext, code: str, name: str) -> None:
    with app.transaction() as session:
        made = places.add_township(session, code, name, source="cli")
        click.echo(f"已新增乡镇 {made.code} {made.name}")


@place_group.command("add-village", help="在乡镇下新增村（社区）。")
@click.argument("code")
@click.argument("name")
@click.option("--township", required=True, help="所属乡镇代码")
@pass_app
@friendly_errors
def place_add_village(app: AppContext, code: str, name: str, township: str) -> None:
    with app.transaction() as session:
        made = places.add_village(session, code, name, township, source="cli")
        click.echo(f"已新增村 {made.code} {made.name}")


@place_group.command("rename", help="更改乡镇或村的名称（代码不能改）。")
@click.argument("code")
@click.argument("name")
@pass_app
@friendly_errors
def place_rename(app: AppContext, code: str, name: str) -> None:
    with app.transaction() as session:
        made = places.rename(session, code, name, source="cli")
        click.echo(f"已更名 {made.code} {made.name}")


@place_group.command("deactivate", help="停用乡镇或村（乡镇须先停用其村）。")
@click.argument("code")
@pass_app
@friendly_errors
def place_deactivate(app: AppContext, code: str) -> None:
    with app.transaction() as session:
        made = places.set_active(session, code, False, source="cli")
        click.echo(f"已停用 {made.code} {made.name}")


@place_group.command("activate", help="重新启用乡镇或村。")
@click.argument("code")
@pass_app
@friendly_errors
def place_activate(app: AppContext, code: str) -> None:
    with app.transaction() as session:
        made = places.set_active(session, code, True, source="cli")
        click.echo(f"已启用 {made.code} {made.name}")


@place_group.command("import", help="从 Excel 导入乡镇和村：全部导入或全部不导入。")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
@friendly_errors
def place_import(app: AppContext, file: Path) -> None:
    _import(app, "places", file)


@place_group.command("template", help="写出乡镇和村导入模板。")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def place_template(output: Path) -> None:
    _template("places", output)


# ---- 农户名单 ---------------------------------------------------------------------------


@click.group("household", help="村农户名单（身份证号、卡号加密保存，列表只显示后 4 位）。")
def household_group() -> None:
    pass


@household_group.command("list", help="列出一个村的农户（身份证号、卡号、电话均遮挡）。")
@click.argument("village")
@click.option("--search", default="", help="按户编号、户主姓名或身份证号后 4 位查找")
@click.option("--campaign", default=None, help="专项治理活动的编号或代码（默认：进行中的）")
@pass_app
@friendly_errors
def household_list(app: AppContext, village: str, search: str, campaign: str | None) -> None:
    with app.reading() as session:
        place = households.village_by_code(session, village)
        shown = chosen_campaign(session, campaign).id
        page, number = None, 1
        while page is None or number <= page.pages:
            page = households.listing(session, place, search, number, PER_PAGE, campaign_id=shown)
            for h in page.items:
                click.echo(
                    f"{h.code:<14} {h.head_name}\t{households.masked_id(h)}\t"
                    f"{households.masked_card(h)}\t{households.masked_phone(h)}\t"
                    f"{h.members} 人\t{households.type_shown(h)}{_state(h.active)}"
                )
            number += 1


@household_group.command("add", help="在村的名单中新增一户。")
@click.argument("village")
@click.argument("code")
@click.option("--head", required=True, help="户主姓名")
@click.option("--id-number", required=True, help="户主身份证号")
@click.option("--card", required=True, help="“一卡通”卡号或账号")
@click.option("--phone", default="")
@click.option("--members", default="1", help="家庭人口")
@click.option("--type", "household_type", default="", help=f"户类型：{LISTED}之一（可不填）")
@pass_app
@friendly_errors
def household_add(
    app: AppContext,
    village: str,
    code: str,
    head: str,
    id_number: str,
    card: str,
    phone: str,
    members: str,
    household_type: str,
) -> None:
    typed = households.HouseholdInput(code, head, id_number, card, phone, members, household_type)
    with app.transaction() as session:
        made = households.add_household(
            session, _key_file(app), village, typed, actor_name=_actor()
        )
        click.echo(f"已新增农户 {made.code} {made.head_name}")


@household_group.command("deactivate", help="把一户移出名单（已抽查的记录保留）。")
@click.argument("village")
@click.argument("code")
@pass_app
@friendly_errors
def household_deactivate(app: AppContext, village: str, code: str) -> None:
    with app.transaction() as session:
        made = households.set_active(
            session, _key_file(app), village, code, False, actor_name=_actor()
        )
        click.echo(f"已移出名单 {made.code} {made.head_name}")


@household_group.command("import", help="从 Excel 导入农户名单：全部导入或全部不导入。")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_app
@friendly_errors
def household_import(app: AppContext, file: Path) -> None:
    _import(app, "households", file)


@household_group.command("template", help="写出农户名单导入模板。")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def household_template(output: Path) -> None:
    _template("households", output)
