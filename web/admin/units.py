"""单位: the system administrator's reference data: the unit tree and populations."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from campaign import org
from campaign.models.org import UNIT_KIND_LABELS, UnitKind
from core import paging
from core.errors import AppError, InvalidInput
from core.numbers import whole
from web import db, errors
from web.admin.blueprint import bp
from web.authz import allow
from web.common import me
from web.roles import ADMIN

NEW_UNIT_FIELDS = ("code", "name", "kind", "parent")
# A province has 27,000 units: the tree is shown a page at a time, and searched.
UNITS_PER_PAGE = 100
KINDS = {kind.value for kind in UnitKind}


@bp.get("/units")
@allow(ADMIN)
def units() -> str:
    return _page(_listing(request.args))


# A form on the page carries the listing it was sent from under names of their own (the
# new unit's form has a "kind" of its own).
RETURN_PREFIX = "list_"


def _listing(args: MultiDict[str, str], prefix: str = "") -> dict[str, Any]:
    """Which part of the tree is shown: a search of names and codes, a kind, a page."""
    kind = args.get(prefix + "kind", "")
    return {
        "q": args.get(prefix + "q", "").strip()[:100],
        "kind": kind if kind in KINDS else "",
        "page": paging.page_number(args.get(prefix + "page")),
    }


def _kept(listing: dict[str, Any]) -> dict[str, Any]:
    """A listing as the page's address gives it: what is set, the first page left out."""
    return {k: v for k, v in listing.items() if v and (k != "page" or v > 1)}


def _page(
    listing: dict[str, Any],
    new_unit: dict[str, str] | None = None,
    refused: str = "",
    population: tuple[str, str, str] | None = None,
    returns_to: dict[str, Any] | None = None,
) -> str:
    """The page; after a refusal, with what was typed and why: a new unit's fields, or the
    population (unit code, text, reason) beside its unit. `returns_to`: the listing the
    forms come back to, when it is not the one shown."""
    session = db.session()
    every = org.unit_tree(session)
    search, kind = listing["q"], listing["kind"]
    shown = [
        unit
        for unit in every
        if (not search or search in unit.name or search.upper() in unit.code)
        and (not kind or unit.kind == kind)
    ]
    page = paging.of_list(shown, listing["page"], UNITS_PER_PAGE)
    args = {k: v for k, v in (("q", search), ("kind", kind)) if v}
    return render_template(
        "admin/units.html",
        page=page,
        units=page.items,
        args=args,
        listing=listing,
        # Where the units' forms return to: this page of this search, or the one given.
        back={
            RETURN_PREFIX + k: v
            for k, v in _kept(returns_to or (args | {"page": page.number})).items()
        },
        kinds=UNIT_KIND_LABELS,
        # A new unit goes below any unit but a village.
        parents=[u for u in every if u.kind != UnitKind.VILLAGE.value],
        population_kinds=org.POPULATION_KINDS,
        new_unit=new_unit or {},
        refused=refused,
        population=population,
        refused_unit=next((u.name for u in every if population and u.code == population[0]), ""),
    )


def _done(message: str, listing: dict[str, Any]) -> Response:
    """Back to the page and search the form was sent from."""
    flash(message, "success")
    return redirect(url_for("admin.units", **_kept(listing)))


@bp.post("/units")
@allow(ADMIN)
def create_unit() -> Response:
    form = request.form
    typed = {name: form.get(name, "").strip() for name in NEW_UNIT_FIELDS}
    listing = _listing(form, RETURN_PREFIX)  # first: a bad page refuses before any change

    def again(error: AppError) -> ResponseReturnValue:
        return _page(listing, new_unit=typed, refused=str(error)), 422

    errors.on_refusal(again)
    unit = org.add_unit(
        db.session(),
        form.get("code", ""),
        form.get("name", ""),
        form.get("kind", ""),
        form.get("parent") or None,
        actor=me(),
    )
    return _done(f"已新建单位 {unit.name}（{unit.code}）", listing)


@bp.post("/units/<code>/population")
@allow(ADMIN)
def set_population(code: str) -> Response:
    typed = request.form.get("population", "").strip()
    listing = _listing(request.form, RETURN_PREFIX)  # first: a bad page refuses before any change

    def again(error: AppError) -> ResponseReturnValue:
        # The unit's row, with what was typed in it, shown by searching for its code; its
        # forms still return to where the administrator was.
        row = {"q": code[:100], "kind": "", "page": 1}
        return _page(row, population=(code, typed, str(error)), returns_to=listing), 422

    errors.on_refusal(again)
    text = typed.replace(",", "")
    population = whole(text) if text else None
    if text and population is None:
        raise InvalidInput("总人口数须为整数")
    unit = org.set_population(db.session(), code, population, actor=me())
    now = f"{unit.population:,}" if unit.population is not None else "未填写"
    return _done(f"已更新 {unit.name} 的总人口数：{now}", listing)
