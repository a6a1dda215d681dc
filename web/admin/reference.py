"""基础数据: the system administrator's pages for 补贴项目 and 乡镇和村 (list with search and
pages, add, edit, deactivate), the Excel template and import of each reference list, and the
helpers the household and campaign pages share. The rules are the services'
(campaign.programmes, campaign.places, campaign.reference_import)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from campaign import places, programmes, reference_import, submissions
from campaign.comparison.protection import KeyFile
from campaign.comparison.sheets import ListRefused
from campaign.current import active_campaign
from core.errors import AppError, InvalidInput
from web import db, errors, once
from web.admin.blueprint import bp
from web.authz import allow
from web.campaign_choice import chosen_id_if_any, switch_page_if_ended
from web.common import data_dir, me, page_arg
from web.roles import ADMIN

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 30
LIST_ENDPOINT = {
    "programmes": "admin.programmes_page",
    "places": "admin.places_page",
    "households": "admin.households_page",
}


def key_file() -> KeyFile:
    return KeyFile.for_data_dir(data_dir())


def typed_form(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in names}


def refusal_fields(error: AppError) -> dict[str, str]:
    return dict(getattr(error, "fields", {}) or {})


def done(message: str, endpoint: str, **args: Any) -> Response:
    flash(message, "success")
    return redirect(url_for(endpoint, **args))


def list_args(*names: str) -> dict[str, str]:
    """The list's search arguments, kept across pages and after a change."""
    return {n: request.args.get(n, "").strip()[:64] for n in names if request.args.get(n)}


# ---- 补贴项目 ---------------------------------------------------------------------------

PROGRAMME_FIELDS = ("code", "name", "level", "parent")


@bp.get("/reference/programmes")
@allow(ADMIN)
def programmes_page() -> str:
    return _programmes_page()


def _programmes_page(
    typed: dict[str, str] | None = None, refused: str = "", fields: dict[str, str] | None = None
) -> str:
    session = db.session()
    campaign = active_campaign(session)
    args = list_args("q", "level")
    found = programmes.listing(
        session,
        campaign,
        programmes.ProgrammeFilters(search=args.get("q", ""), level=args.get("level", "")),
        page_arg(),
        PER_PAGE,
    )
    editing = request.args.get("edit", "").strip().upper() or (typed or {}).get("editing", "")
    current = (
        programmes.programme_by_code(session, campaign, editing) if editing and not typed else None
    )
    codes = {p.id: p.code for p in campaign.programmes}
    if current is not None:
        typed = {
            "code": current.code,
            "name": current.name,
            "level": current.level,
            "parent": codes.get(current.parent_id or 0, ""),
        }
    return render_template(
        "admin/programmes.html",
        campaign=campaign,
        page=found,
        args=args,
        levels=programmes.LEVELS,
        parents=[p for p in campaign.programmes if p.parent_id is None and p.active],
        codes=codes,
        used={p.id: programmes.references(session, p) for p in found.items},
        editing=editing,
        typed=typed or {},
        refused=refused,
        fields=fields or {},
    )


def _again_programmes(typed: dict[str, str]) -> Callable[[AppError], ResponseReturnValue]:
    def again(error: AppError) -> ResponseReturnValue:
        return _programmes_page(typed, str(error), refusal_fields(error)), 422

    return again


@bp.post("/reference/programmes")
@allow(ADMIN)
def create_programme() -> Response:
    typed = typed_form(PROGRAMME_FIELDS)
    errors.on_refusal(_again_programmes(typed))
    session = db.session()
    made = programmes.add_programme(
        session,
        active_campaign(session),
        typed["code"],
        typed["name"],
        typed["level"],
        typed["parent"],
        actor=me(),
    )
    return done(f"已新增补贴项目 {made.code} {made.name}", "admin.programmes_page", q=made.code)


@bp.post("/reference/programmes/<code>")
@allow(ADMIN)
def edit_programme(code: str) -> Response:
    typed = typed_form(PROGRAMME_FIELDS)
    typed.update(code=code.upper(), editing=code.upper())
    errors.on_refusal(_again_programmes(typed))
    session = db.session()
    made = programmes.edit_programme(
        session,
        active_campaign(session),
        code,
        name=typed["name"],
        level=typed["level"],
        parent_code=typed["parent"],
        actor=me(),
    )
    return done(f"已修改补贴项目 {made.code} {made.name}", "admin.programmes_page", q=made.code)


@bp.post("/reference/programmes/<code>/active")
@allow(ADMIN)
def programme_active(code: str) -> Response:
    back = url_for("admin.programmes_page", q=code)
    errors.on_refusal(errors.back_to(back, "未更改："))
    session = db.session()
    active = request.form.get("active") == "1"
    made = programmes.set_active(session, active_campaign(session), code, active, actor=me())
    if active:
        return done(f"已启用补贴项目 {made.name}", "admin.programmes_page", q=made.code)
    used = programmes.references(session, made)
    kept = f"；已登记的 {used} 条问题仍记在该项目下" if used else ""
    return done(
        f"已停用补贴项目 {made.name}：新登记的问题不能再选它{kept}",
        "admin.programmes_page",
        q=made.code,
    )


# ---- 乡镇和村 ---------------------------------------------------------------------------

PLACE_FIELDS = ("kind", "code", "name", "township")


@bp.get("/reference/places")
@allow(ADMIN)
def places_page() -> str:
    return _places_page()


def _places_page(
    typed: dict[str, str] | None = None, refused: str = "", fields: dict[str, str] | None = None
) -> str:
    session = db.session()
    args = list_args("q", "township")
    found = places.listing(
        session,
        places.PlaceFilters(
            search=args.get("q", ""),
            township=args.get("township", ""),
            campaign_id=chosen_id_if_any(),
        ),
        page_arg(),
        PER_PAGE,
    )
    editing = request.args.get("edit", "").strip().upper()
    if editing and not typed:
        unit = places.place_by_code(session, editing)
        typed = {
            "kind": unit.kind,
            "code": unit.code,
            "name": unit.name,
            "township": unit.parent.code if unit.kind == "village" and unit.parent else "",
        }
    return render_template(
        "admin/places.html",
        page=found,
        args=args,
        townships=places.townships(session),
        editing=editing or (typed or {}).get("editing", ""),
        typed=typed or {},
        refused=refused,
        fields=fields or {},
    )


@bp.post("/reference/places")
@allow(ADMIN)
def create_place() -> Response:
    typed = typed_form(PLACE_FIELDS)

    def again(error: AppError) -> ResponseReturnValue:
        return _places_page(typed, str(error), refusal_fields(error)), 422

    errors.on_refusal(again)
    session = db.session()
    if typed["kind"] == "township":
        made = places.add_township(session, typed["code"], typed["name"], actor=me())
    elif typed["kind"] == "village":
        made = places.add_village(
            session, typed["code"], typed["name"], typed["township"], actor=me()
        )
    else:
        raise InvalidInput("请选择类型：乡镇或村", fields={"kind": "请选择"})
    message = f"已新增{made.kind_label} {made.code} {made.name}"
    return done(message, "admin.places_page", q=made.code)


@bp.post("/reference/places/<code>")
@allow(ADMIN)
def rename_place(code: str) -> Response:
    typed = typed_form(PLACE_FIELDS)
    typed.update(code=code.upper(), editing=code.upper())

    def again(error: AppError) -> ResponseReturnValue:
        return _places_page(typed, str(error), refusal_fields(error)), 422

    errors.on_refusal(again)
    made = places.rename(db.session(), code, typed["name"], actor=me())
    return done(f"已更名为 {made.name}（{made.code}）", "admin.places_page", q=made.code)


@bp.post("/reference/places/<code>/active")
@allow(ADMIN)
def place_active(code: str) -> Response:
    errors.on_refusal(errors.back_to(url_for("admin.places_page", q=code), "未更改："))
    active = request.form.get("active") == "1"
    made = places.set_active(db.session(), code, active, actor=me())
    state = "启用" if active else "停用"
    return done(f"已{state} {made.name}（{made.code}）", "admin.places_page", q=made.code)


# ---- Excel ------------------------------------------------------------------------------


@bp.get("/reference/template/<kind>.xlsx")
@allow(ADMIN)
def reference_template(kind: str) -> Response:
    chosen = reference_import.kind_of(kind)
    return send_file(
        io.BytesIO(reference_import.write_template(chosen)),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"{chosen.title}导入模板.xlsx",
    )


@bp.route("/reference/import/<kind>", methods=["GET", "POST"])
@allow(ADMIN)
def reference_import_page(kind: str) -> ResponseReturnValue:
    chosen = reference_import.kind_of(kind)
    back = url_for(LIST_ENDPOINT[chosen.key])

    def page(**shown: Any) -> str:
        values = {"refused": "", "errors": [], "total": 0, "imported": None}
        values.update(shown)
        return render_template("admin/reference_import.html", kind=chosen, back=back, **values)

    if request.method == "GET":
        # Programmes and households are the campaign in progress's (places the district's).
        switch = switch_page_if_ended() if chosen is not reference_import.PLACES else None
        return switch or page()

    def refused(error: AppError) -> ResponseReturnValue:
        if isinstance(error, ListRefused):
            return page(refused=str(error), errors=error.errors, total=error.total), 422
        return page(refused=str(error)), error.status

    errors.on_refusal(refused)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("请选择要导入的 Excel 文件（.xlsx）")
    submission = once.claim()
    session = db.session()
    result = reference_import.import_sheet(
        session,
        chosen,
        upload.stream,
        campaign=active_campaign(session),
        key_file=key_file(),
        actor=me(),
        file_name=upload.filename,
    )
    submissions.record(submission, f"已导入{chosen.title} {result.rows} 行。", back)
    return page(imported=result)
