"""What the engine asks of the application that hosts it.

The engine knows nothing of units, roles or forms: the host (the campaign) answers these
questions, so the same engine could run any organisation's processes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from engine.models import Case, WorkItem


@dataclass(frozen=True)
class CaseContext:
    """Business context of a case: whose it is and what it serves."""

    owning_unit_id: int | None = None
    responsible_unit_id: int | None = None
    subject_type: str = ""
    subject_id: int | None = None


@dataclass(frozen=True)
class Assignment:
    unit_id: int | None
    role: str


@dataclass(frozen=True)
class Actor:
    """Who acts: a person (id and name) or the system (id None)."""

    id: int | None
    name: str


SYSTEM = Actor(None, "系统")


class EngineHost(Protocol):
    @property
    def read_with_tasks(self) -> type[Any] | None:
        """The model of the record a completion reads next, which names its case by
        `case_id`: read with the case's tasks after the lock, by the same statement (None:
        none)."""

    def lane_refusal(self, lane: str) -> str | None:
        """Why a lane name cannot be resolved, or None when it can."""

    def form_refusal(self, form_key: str) -> str | None:
        """Why a form key is unknown, or None when it is known."""

    def assign(
        self, session: Session, lane: str, context: CaseContext, data: Mapping[str, Any]
    ) -> Assignment:
        """The unit and role that work a task in this lane, for this case."""

    def may_act(self, session: Session, actor: Actor, assignment: Assignment) -> bool:
        """Whether the actor holds the role in the unit (or may otherwise act for it)."""

    def clean_submission(
        self, session: Session, form_key: str, data: Mapping[str, Any], context: CaseContext
    ) -> dict[str, Any]:
        """Validate a submitted form; return clean data or raise core.errors.InvalidInput."""

    def check_completion(
        self, session: Session, item: WorkItem, actor: Actor, data: Mapping[str, Any]
    ) -> None:
        """Refuse (raise a core.errors error) a completion that the form alone cannot judge:
        who completes it and when. Called with the case locked and the data clean, so that
        the rule sees what the case will record."""

    def case_changed(self, session: Session, case: Case) -> None:
        """The case moved on (started, a task completed, a timer fired, migrated, marked in
        error): bring the record it serves up to date, in the same transaction."""

    def timers_fire_for(self, session: Session) -> ColumnElement[bool] | None:
        """A condition on Case: the cases whose due timers the sweep fires (the others' wait,
        e.g. while their record is read-only); None: every case's."""
