"""单位: the system administrator's reference data: the unit tree and populations."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from campaign import org
from campaign.models.org import UNIT_KIND_LABELS
from core.errors import AppError, InvalidInput
from web import db, errors
from web.admin.blueprint import bp
from web.authz import allow
from web.common import me
from web.roles import ADMIN

NEW_UNIT_FIELDS = ("code", "name", "kind", "parent")


@bp.get("/units")
@allow(ADMIN)
def units() -> str:
    return _page()


def _page(
    new_unit: dict[str, str] | None = None,
    refused: str = "",
    population: tuple[str, str, str] | None = None,
) -> str:
    """The page; after a refusal, with what was typed and why: a new unit's fields, or the
    population (unit code, text, reason) beside its unit."""
    session = db.session()
    all_units = org.all_units(session)
    return render_template(
        "admin/units.html",
        units=all_units,
        kinds=UNIT_KIND_LABELS,
        depth={u.id: org.depth_of(u) for u in all_units},
        population_kinds=org.POPULATION_KINDS,
        new_unit=new_unit or {},
        refused=refused,
        population=population,
        unit_names={u.code: u.name for u in all_units},
    )


def _done(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("admin.units"))


@bp.post("/units")
@allow(ADMIN)
def create_unit() -> Response:
    form = request.form
    typed = {name: form.get(name, "").strip() for name in NEW_UNIT_FIELDS}

    def again(error: AppError) -> ResponseReturnValue:
        return _page(new_unit=typed, refused=str(error)), 422

    errors.on_refusal(again)
    unit = org.add_unit(
        db.session(),
        form.get("code", ""),
        form.get("name", ""),
        form.get("kind", ""),
        form.get("parent") or None,
        actor=me(),
    )
    return _done(f"已新建单位 {unit.name}（{unit.code}）")


@bp.post("/units/<code>/population")
@allow(ADMIN)
def set_population(code: str) -> Response:
    typed = request.form.get("population", "").strip()

    def again(error: AppError) -> ResponseReturnValue:
        return _page(population=(code, typed, str(error))), 422

    errors.on_refusal(again)
    text = typed.replace(",", "")
    if text and not text.isdigit():
        raise InvalidInput("总人口数须为整数")
    unit = org.set_population(db.session(), code, int(text) if text else None, actor=me())
    now = f"{unit.population:,}" if unit.population is not None else "未填写"
    return _done(f"已更新 {unit.name} 的总人口数：{now}")
