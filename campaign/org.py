"""Looking up units and walking the unit tree."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit
from campaign.models import Unit, User
from campaign.models.org import UnitKind
from core.errors import Conflict, InvalidInput, NotFound

_BY_CODE = "ykt.units_by_code"  # session.info: the units this session looked up by code


def remember_by_code(session: Session, unit: Unit) -> None:
    """Keep a unit just read for unit_by_code's next look-up of its code in this session."""
    session.info.setdefault(_BY_CODE, {})[unit.code] = unit


def unit_by_code(session: Session, code: str) -> Unit:
    """A unit by its code; asked again in the same session (a completion asks for the same
    unit three times), the unit it already holds, while it is still that unit's code."""
    known: dict[str, Unit] = session.info.setdefault(_BY_CODE, {})
    unit = known.get(code)
    if unit is not None and unit in session and unit.code == code:
        return unit
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"单位代码不存在：{code}")
    known[code] = unit
    return unit


def all_units(session: Session) -> list[Unit]:
    """Every unit, depth first in tree order, so a printed list reads like the tree."""
    units = list(session.scalars(select(Unit)))
    by_parent: dict[int | None, list[Unit]] = {}
    for unit in units:
        by_parent.setdefault(unit.parent_id, []).append(unit)
    for siblings in by_parent.values():
        siblings.sort(key=lambda u: (u.sort_order, u.code))
    ordered: list[Unit] = []
    stack = list(reversed(by_parent.get(None, [])))
    while stack:
        unit = stack.pop()
        ordered.append(unit)
        stack.extend(reversed(by_parent.get(unit.id, [])))
    return ordered


class TreeEntry(NamedTuple):
    """A unit as the tree lists it: a plain row, where its depth and parent are known (a
    tuple: made 27,000 times for a province's page)."""

    id: int
    code: str
    name: str
    kind: str
    population: int | None
    depth: int
    parent_name: str

    @property
    def kind_label(self) -> str:
        return UnitKind(self.kind).label


def unit_tree(session: Session) -> list[TreeEntry]:
    """Every unit, depth first in tree order, as `all_units` orders them, read as rows: a
    province's 27,000 units are listed without making an object of each."""
    rows = session.execute(
        select(
            Unit.id,
            Unit.parent_id,
            Unit.code,
            Unit.name,
            Unit.kind,
            Unit.population,
            Unit.sort_order,
        )
    ).tuples()
    by_parent: dict[int | None, list[tuple[Any, ...]]] = {}
    names: dict[int, str] = {}
    for row in rows:
        by_parent.setdefault(row[1], []).append(row)
        names[row[0]] = row[3]
    for siblings in by_parent.values():
        siblings.sort(key=lambda r: (r[6], r[2]))
    ordered: list[TreeEntry] = []
    stack = [(row, 0) for row in reversed(by_parent.get(None, []))]
    while stack:
        (unit_id, parent_id, code, name, kind, population, _order), depth = stack.pop()
        parent = names.get(parent_id, "") if parent_id is not None else ""
        ordered.append(TreeEntry(unit_id, code, name, kind, population, depth, parent))
        children = by_parent.get(unit_id)
        if children:
            stack.extend((child, depth + 1) for child in reversed(children))
    return ordered


def depth_of(unit: Unit) -> int:
    depth = 0
    node = unit.parent
    while node is not None:
        depth += 1
        node = node.parent
    return depth


def add_unit(
    session: Session,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None,
    *,
    actor: User | None = None,
    source: str = "",
) -> Unit:
    """A new unit below an existing one (e.g. a village of a township)."""
    code, name = code.strip().upper(), name.strip()
    if not re.fullmatch(r"[A-Z0-9-]{2,32}", code):
        raise InvalidInput("单位代码须为 2–32 位大写字母、数字或连字符")
    if not name:
        raise InvalidInput("请填写单位名称")
    try:
        kind_value = UnitKind(kind)
    except ValueError:
        raise InvalidInput(f"未知单位类型：{kind}") from None
    if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
        raise Conflict(f"单位代码已存在：{code}")
    parent = unit_by_code(session, parent_code) if parent_code else None
    if kind_value is UnitKind.VILLAGE and (parent is None or parent.kind != UnitKind.TOWNSHIP):
        raise InvalidInput("村（社区）须设在某个乡镇之下")
    unit = Unit(code=code, name=name, kind=kind_value.value, parent=parent, sort_order=1000)
    session.add(unit)
    session.flush()
    audit.record(session, "unit.create", actor=actor, target=f"unit:{unit.code}", source=source)
    return unit


POPULATION_KINDS = (UnitKind.DISTRICT.value, UnitKind.TOWNSHIP.value)
POPULATION_MAX = 100_000_000


def set_population(
    session: Session,
    code: str,
    population: int | None,
    *,
    actor: User | None = None,
    source: str = "",
) -> Unit:
    """The population of a district or township (附件3 县总人口数); None clears it."""
    unit = unit_by_code(session, code)
    if unit.kind not in POPULATION_KINDS:
        raise InvalidInput(f"“{unit.name}”不是区县或乡镇，无须填写总人口数")
    if population is not None and not 0 <= population <= POPULATION_MAX:
        raise InvalidInput(f"总人口数须为 0 至 {POPULATION_MAX:,} 之间的整数")
    unit.population = population
    session.flush()
    audit.record(
        session,
        "unit.population",
        actor=actor,
        target=f"unit:{unit.code}",
        source=source,
        value="" if population is None else str(population),
    )
    return unit
