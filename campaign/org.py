"""Looking up units and walking the unit tree."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.errors import NotFound
from campaign.models import Unit


def unit_by_code(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"单位代码不存在：{code}")
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


def depth_of(unit: Unit) -> int:
    depth = 0
    node = unit.parent
    while node is not None:
        depth += 1
        node = node.parent
    return depth


def subtree_ids(session: Session, root: Unit) -> set[int]:
    """The ids of a unit and everything below it."""
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in session.execute(select(Unit.id, Unit.parent_id)):
        children.setdefault(parent_id, []).append(unit_id)
    found = {root.id}
    frontier = [root.id]
    while frontier:
        current = frontier.pop()
        for child in children.get(current, []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found
