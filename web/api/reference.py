"""Reference data a client needs to fill the forms: units, villages of a township,
programmes, statistical categories and focus items, with the codes the forms take. The lists
are the ones the task page offers (campaign.choices)."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue
from marshmallow import fields

from campaign import choices, org
from engine.host import CaseContext
from web import db
from web.api import schemas as s
from web.api.blueprint import api_user, bp
from web.api.contract import Answer, declare
from web.authz import allow
from web.roles import WORKING_ROLES


class Option(s.Schema):
    code = fields.String(metadata={"description": "表单中填写的值"})
    name = fields.String()


class UnitInfo(Option):
    kind = fields.String()
    parent = fields.String(allow_none=True, metadata={"description": "上级单位代码"})


class VillageQuery(s.Query):
    unit = s.Code(load_default="", metadata={"description": "乡镇（街道）代码；省略为本人所在单位"})


Options = s.items_of(Option, "Options")
Units = s.items_of(UnitInfo, "Units")


def _listed(source: str, context: CaseContext | None = None) -> dict[str, Any]:
    rows = choices.options(db.session(), source, context or CaseContext(), {})
    return {"items": [{"code": code, "name": name} for code, name in rows]}


@bp.get("/reference/units")
@allow(*WORKING_ROLES, api=True)
@declare(
    "全部在用的单位（代码、名称、类别、上级）", {200: Answer("单位", s.items_of(UnitInfo, "Units"))}
)
def reference_units() -> ResponseReturnValue:
    units = [u for u in org.all_units(db.session()) if u.active]
    return {
        "items": [
            {
                "code": u.code,
                "name": u.name,
                "kind": u.kind,
                "parent": u.parent.code if u.parent else None,
            }
            for u in units
        ]
    }


@bp.get("/reference/villages")
@allow(*WORKING_ROLES, api=True)
@declare("一个乡镇（街道）的村（社区）", {200: Answer("村（社区）", Options)}, query=VillageQuery)
def reference_villages(query: dict[str, Any]) -> ResponseReturnValue:
    if query["unit"]:
        unit_id: int | None = org.unit_by_code(db.session(), query["unit"]).id
    else:
        unit_id = next((r.unit_id for r in api_user().roles if r.unit_id is not None), None)
    return _listed("villages", CaseContext(owning_unit_id=unit_id))


@bp.get("/reference/programmes")
@allow(*WORKING_ROLES, api=True)
@declare("惠民惠农补贴项目", {200: Answer("项目", Options)})
def reference_programmes() -> ResponseReturnValue:
    return _listed("programmes")


@bp.get("/reference/categories")
@allow(*WORKING_ROLES, api=True)
@declare("问题统计类别（附件2 的行）", {200: Answer("类别", Options)})
def reference_categories() -> ResponseReturnValue:
    return _listed("stat_categories")


@bp.get("/reference/focus-items")
@allow(*WORKING_ROLES, api=True)
@declare("重点整治事项", {200: Answer("事项", Options)})
def reference_focus_items() -> ResponseReturnValue:
    return _listed("focus_items")


@bp.get("/reference/responsible-units")
@allow(*WORKING_ROLES, api=True)
@declare("可作为责任单位的单位", {200: Answer("单位", Options)})
def reference_responsible_units() -> ResponseReturnValue:
    return _listed("responsible_units")
