"""单位: the system administrator's reference data: the unit tree and populations."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from campaign import org
from campaign.models.org import UNIT_KIND_LABELS
from core.errors import InvalidInput
from web import db, errors
from web.admin.blueprint import bp
from web.authz import allow
from web.common import me
from web.roles import ADMIN


@bp.get("/units")
@allow(ADMIN)
def units() -> str:
    session = db.session()
    all_units = org.all_units(session)
    return render_template(
        "admin/units.html",
        units=all_units,
        kinds=UNIT_KIND_LABELS,
        depth={u.id: org.depth_of(u) for u in all_units},
        population_kinds=org.POPULATION_KINDS,
    )


def _done(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("admin.units"))


@bp.post("/units")
@allow(ADMIN)
def create_unit() -> Response:
    errors.on_refusal(errors.back_to(url_for("admin.units")))
    form = request.form
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
    errors.on_refusal(errors.back_to(url_for("admin.units")))
    text = request.form.get("population", "").strip().replace(",", "")
    if text and not text.isdigit():
        raise InvalidInput("总人口数须为整数")
    unit = org.set_population(db.session(), code, int(text) if text else None, actor=me())
    return _done(f"已更新 {unit.name} 的总人口数")
