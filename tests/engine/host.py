"""A small host for engine tests: three lanes, a few forms, people as (unit, role) sets.

The engine must run any organisation's processes; testing it against a host of its own,
apart from the campaign's, keeps that promise honest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from engine.host import Actor, Assignment, CaseContext
from engine.models import Case, WorkItem

OFFICE_UNIT = 900

LANES = {
    "经办人": "officer",
    "审核人": "reviewer",
    "领导小组办公室": "supervisor",
}
FORMS = {"register", "rectify", "review", "ack"}


class FakeHost:
    read_with_tasks: type[Any] | None = None

    def __init__(self) -> None:
        self.people: dict[int, set[tuple[int | None, str]]] = {}
        self.changes: list[tuple[int, str]] = []  # (case, status) as the engine reported them

    def allow(self, actor: Actor, unit_id: int | None, role: str) -> Actor:
        assert actor.id is not None
        self.people.setdefault(actor.id, set()).add((unit_id, role))
        return actor

    def lane_refusal(self, lane: str) -> str | None:
        return None if lane in LANES else f"泳道“{lane}”无法对应到单位和角色"

    def form_refusal(self, form_key: str) -> str | None:
        return None if form_key in FORMS else f"表单不存在：{form_key}"

    def assign(
        self, session: Session, lane: str, context: CaseContext, data: Mapping[str, Any]
    ) -> Assignment:
        role = LANES[lane]
        unit = OFFICE_UNIT if role == "supervisor" else context.owning_unit_id
        return Assignment(unit, role)

    def may_act(self, session: Session, actor: Actor, assignment: Assignment) -> bool:
        return actor.id is not None and (assignment.unit_id, assignment.role) in self.people.get(
            actor.id, set()
        )

    def clean_submission(
        self, session: Session, form_key: str, data: Mapping[str, Any], context: CaseContext
    ) -> dict[str, Any]:
        if form_key == "rectify" and not str(data.get("measures", "")).strip():
            raise InvalidInput(fields={"measures": "请填写整改措施"})
        return dict(data)

    def check_completion(
        self, session: Session, item: WorkItem, actor: Actor, data: Mapping[str, Any]
    ) -> None:
        pass

    def case_changed(self, session: Session, case: Case) -> None:
        self.changes.append((case.id, case.status))

    def timers_fire_for(self, session: Session) -> ColumnElement[bool] | None:
        return None  # every case's timers fire
