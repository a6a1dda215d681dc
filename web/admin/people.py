from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from campaign import accounts, org
from campaign.models import User
from campaign.models.accounts import ROLE_LABELS
from campaign.models.org import UNIT_KIND_LABELS
from core.errors import InvalidInput
from web import db, errors
from web.admin.blueprint import bp
from web.authz import allow
from web.common import found, me
from web.roles import ADMIN


@bp.get("/users")
@allow(ADMIN)
def users() -> str:
    session = db.session()
    people = list(session.scalars(select(User).order_by(User.username)))
    units = org.all_units(session)
    return render_template(
        "admin/users.html",
        people=people,
        units=units,
        roles=ROLE_LABELS,
        kinds=UNIT_KIND_LABELS,
        depth={u.id: org.depth_of(u) for u in units},
        population_kinds=org.POPULATION_KINDS,
    )


def _done(message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("admin.users"))


def _refusals_back(anchor: str = "") -> None:
    errors.on_refusal(errors.back_to(url_for("admin.users") + anchor))


@bp.post("/users")
@allow(ADMIN)
def create_user() -> Response:
    _refusals_back()
    form = request.form
    accounts.create_user(
        db.session(),
        form.get("username", "").strip(),
        form.get("password", ""),
        full_name=form.get("full_name", ""),
        unit_code=form.get("unit", ""),
        role=form.get("role", ""),
        actor=me(),
    )
    return _done(f"已创建用户 {form.get('username')}，首次登录须修改密码")


@bp.post("/users/<int:user_id>/grant")
@allow(ADMIN)
def grant(user_id: int) -> Response:
    _refusals_back()
    person = found(db.session().get(User, user_id))
    accounts.grant_role(
        db.session(),
        person,
        org.unit_by_code(db.session(), request.form.get("unit", "")),
        accounts.parse_role(request.form.get("role", "")),
        actor=me(),
    )
    return _done(f"已为 {person.username} 授予角色")


@bp.post("/users/<int:user_id>/disable")
@allow(ADMIN)
def disable(user_id: int) -> Response:
    _refusals_back()
    person = found(db.session().get(User, user_id))
    accounts.disable_user(db.session(), person, actor=me())
    return _done(f"已停用 {person.username}")


@bp.post("/users/<int:user_id>/password")
@allow(ADMIN)
def reset_password(user_id: int) -> Response:
    _refusals_back()
    person = found(db.session().get(User, user_id))
    accounts.set_password(
        db.session(), person, request.form.get("password", ""), must_change=True, actor=me()
    )
    return _done(f"已重置 {person.username} 的密码，下次登录须修改")


@bp.post("/units")
@allow(ADMIN)
def create_unit() -> Response:
    _refusals_back("#units")
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
    _refusals_back("#units")
    text = request.form.get("population", "").strip().replace(",", "")
    if text and not text.isdigit():
        raise InvalidInput("总人口数须为整数")
    unit = org.set_population(db.session(), code, int(text) if text else None, actor=me())
    return _done(f"已更新 {unit.name} 的总人口数")
