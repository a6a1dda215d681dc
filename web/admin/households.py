"""农户名单: a village's household list for the system administrator (search, pages, add,
correct, take off the list), 身份证号 and 卡号 masked; the full numbers of one household on a
page of their own, asked for with a POST and recorded in the audit log each time."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from campaign import households, places
from campaign.comparison.household_types import HOUSEHOLD_TYPES
from campaign.models import Unit
from core.errors import AppError
from web import db, errors
from web.admin.blueprint import bp
from web.admin.reference import PER_PAGE, done, key_file, refusal_fields, typed_form
from web.authz import allow
from web.campaign_choice import chosen_id
from web.common import me, page_arg
from web.roles import ADMIN

FIELDS = ("code", "head_name", "id_number", "card", "phone", "members", "household_type")


def _typed() -> households.HouseholdInput:
    values = typed_form(FIELDS)
    return households.HouseholdInput(**values)


@bp.get("/reference/households")
@allow(ADMIN)
def households_page() -> str:
    return _page()


def _page(
    typed: dict[str, str] | None = None, refused: str = "", fields: dict[str, str] | None = None
) -> str:
    session = db.session()
    code = request.args.get("village", "").strip().upper() or (typed or {}).get("village", "")
    village: Unit | None = households.village_by_code(session, code) if code else None
    search = request.args.get("q", "").strip()[:64]
    shown = chosen_id()
    found = (
        households.listing(session, village, search, page_arg(), PER_PAGE, campaign_id=shown)
        if village
        else None
    )
    editing = request.args.get("edit", "").strip().upper() or (typed or {}).get("editing", "")
    if village is not None and editing and not typed:
        current = households.household_of(session, village, editing, shown)
        typed = {
            "code": current.code,
            "head_name": current.head_name,
            "phone": current.phone or "",
            "members": str(current.members),
            "household_type": current.household_type,
        }
    villages = [
        (t, [v for v in t.children if v.kind == "village"]) for t in places.townships(session)
    ]
    args = {k: v for k, v in (("village", code), ("q", search)) if v}
    return render_template(
        "admin/households.html",
        village=village,
        villages=villages,
        page=found,
        args=args,
        search=search,
        editing=editing,
        typed=typed or {},
        refused=refused,
        fields=fields or {},
        masked_id=households.masked_id,
        masked_card=households.masked_card,
        masked_phone=households.masked_phone,
        type_shown=households.type_shown,
        household_types=HOUSEHOLD_TYPES,
    )


def _again(typed: dict[str, str]) -> errors.Refusal:
    def again(error: AppError) -> ResponseReturnValue:
        shown = {k: v for k, v in typed.items() if k not in ("id_number", "card")}
        return _page(shown, str(error), refusal_fields(error)), 422

    return again


@bp.post("/reference/households/<village>")
@allow(ADMIN)
def create_household(village: str) -> Response:
    typed = typed_form(FIELDS)
    errors.on_refusal(_again({**typed, "village": village.upper()}))
    made = households.add_household(db.session(), key_file(), village, _typed(), actor=me())
    return done(
        f"已新增农户 {made.code}（{made.head_name}）",
        "admin.households_page",
        village=village.upper(),
        q=made.code,
    )


@bp.post("/reference/households/<village>/<code>")
@allow(ADMIN)
def edit_household(village: str, code: str) -> Response:
    typed = typed_form(FIELDS)
    errors.on_refusal(
        _again({**typed, "village": village.upper(), "editing": code.upper(), "code": code})
    )
    made = households.edit_household(db.session(), key_file(), village, code, _typed(), actor=me())
    return done(
        f"已修改农户 {made.code}（{made.head_name}）",
        "admin.households_page",
        village=village.upper(),
        q=made.code,
    )


@bp.post("/reference/households/<village>/<code>/active")
@allow(ADMIN)
def household_active(village: str, code: str) -> Response:
    back = url_for("admin.households_page", village=village.upper(), q=code)
    errors.on_refusal(errors.back_to(back, "未更改："))
    active = request.form.get("active") == "1"
    made = households.set_active(db.session(), key_file(), village, code, active, actor=me())
    state = "已恢复到名单" if active else "已移出名单（已抽查的记录保留）"
    return done(
        f"农户 {made.code}（{made.head_name}）{state}",
        "admin.households_page",
        village=village.upper(),
        q=made.code,
    )


@bp.post("/reference/households/<village>/<code>/reveal")
@allow(ADMIN)
def reveal_household(village: str, code: str) -> str:
    session = db.session()
    place = households.village_by_code(session, village)
    campaign_id = chosen_id()
    household = households.household_of(session, place, code, campaign_id)
    shown = households.reveal(
        session, key_file(), village, code, actor=me(), campaign_id=campaign_id
    )
    return render_template(
        "admin/household_numbers.html", village=place, household=household, shown=shown
    )
