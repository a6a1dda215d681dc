"""The lanes diagrams may use, and the unit and role each one means for a case.

A lane name is what an administrator types in the modeler, so the vocabulary is small and
reads like the notice: whose unit (the case's own, the responsible one, the leading group
office, the discipline commission, an inspection team) and which role."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from campaign.models.accounts import Role
from campaign.org import unit_by_code
from campaign.reference_data import DISCIPLINE_CODE, LEADING_OFFICE_CODE
from engine.host import Assignment, CaseContext


@dataclass(frozen=True)
class Lane:
    whose: str  # "owning", "responsible", a fixed unit code, or "data:<key>"
    role: Role


LANES: dict[str, Lane] = {
    "本单位经办人": Lane("owning", Role.OFFICER),
    "本单位负责人": Lane("owning", Role.REVIEWER),
    "责任单位经办人": Lane("responsible", Role.OFFICER),
    "责任单位负责人": Lane("responsible", Role.REVIEWER),
    "领导小组办公室": Lane(LEADING_OFFICE_CODE, Role.SUPERVISOR),
    "纪检监察机关": Lane(DISCIPLINE_CODE, Role.DISCIPLINE),
    "检查专班": Lane("data:inspection_team_unit_id", Role.INSPECTOR),
}

# The names of case data that lanes read to route work: set by forms that check them (a
# reviewer naming the responsible unit), never by data given freely when a case starts.
DATA_KEYS = (
    "responsible_unit",
    *(
        lane.whose.removeprefix("data:")
        for lane in LANES.values()
        if lane.whose.startswith("data:")
    ),
)


def lane_refusal(name: str) -> str | None:
    if name in LANES:
        return None
    return f"泳道“{name}”无法对应到单位和角色；可用的泳道名称：{'、'.join(LANES)}"


def assign(
    session: Session, name: str, context: CaseContext, data: Mapping[str, Any]
) -> Assignment:
    lane = LANES[name]
    unit_id: int | None
    if lane.whose == "owning":
        unit_id = context.owning_unit_id
    elif lane.whose == "responsible":
        # The reviewer names the responsible unit during the case; until then it is the
        # unit given when the case started, or the case's own unit.
        chosen = data.get("responsible_unit")
        if isinstance(chosen, str) and chosen:
            unit_id = unit_by_code(session, chosen).id
        else:
            unit_id = context.responsible_unit_id or context.owning_unit_id
    elif lane.whose.startswith("data:"):
        value = data.get(lane.whose.removeprefix("data:"))
        unit_id = int(value) if value is not None else None
    else:
        unit_id = unit_by_code(session, lane.whose).id
    return Assignment(unit_id, lane.role.value)
