"""What each task's clean data changes in the ledger entry it serves."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import disclosures, problems
from campaign.models import FocusItem, Problem, Programme, StatCategory, User
from campaign.models.ledger import yuan
from campaign.org import unit_by_code
from core import clock
from engine.models import Case


def _by_code(session: Session, model: type[Any], code: str, **where: Any) -> Any:
    query = select(model).where(model.code == code)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return session.scalars(query).one()


def apply_registration(
    session: Session, problem: Problem, data: Mapping[str, Any], _user: User | None = None
) -> None:
    problem.source = data["source"]
    village = data.get("village")
    problem.village = unit_by_code(session, village) if village else None
    problem.programme = _by_code(
        session, Programme, data["programme"], campaign_id=problem.campaign.id
    )
    problem.focus_item = _by_code(session, FocusItem, data["focus_item"])
    problem.stat_category = _by_code(session, StatCategory, data["stat_category"])
    problem.description = data["description"]
    problem.amount_fen = data.get("amount") or 0
    problem.cards = data.get("cards") or 0
    problem.households = data.get("households") or 0
    problem.persons = data.get("persons") or 0
    problem.involved_names = data.get("involved_names") or ""
    problem.discovered_on = date.fromisoformat(data["discovered_on"])


def _propose_void(problem: Problem, data: Mapping[str, Any], user: User) -> None:
    problem.void_reason = data["void_reason"]
    problem.void_proposed_by = user.id


def _review(session: Session, problem: Problem, data: Mapping[str, Any], user: User) -> None:
    if data.get("review_decision") == "void":
        _propose_void(problem, data, user)
    if data.get("review_decision") != "approve":
        return
    problem.reviewed_at = problem.reviewed_at or clock.now()
    problem.responsible_unit = unit_by_code(session, data["responsible_unit"])
    problem.responsible_person = data["responsible_person"]
    problem.rectify_type = data["rectify_type"]
    problem.measures = data["measures"]
    problem.deadline = date.fromisoformat(data["deadline"])


def _extension(session: Session, problem: Problem, data: Mapping[str, Any], _user: User) -> None:
    if data.get("extension_decision") == "approve":
        problem.deadline = date.fromisoformat(data["new_deadline"])


def _rectify(session: Session, problem: Problem, data: Mapping[str, Any], user: User) -> None:
    if data.get("action") == "void":
        _propose_void(problem, data, user)
    if data.get("action") != "submit":
        return
    problem.measures_taken = data["measures_taken"]
    problem.recovered_fen = data.get("amount_recovered") or 0
    problem.returned_fen = data.get("amount_returned") or 0
    problem.no_transfer_reason = data.get("no_transfer_reason") or ""
    problem.no_transfer_approved_by = None  # a new reason needs the office's agreement anew
    problem.rectified_on = date.fromisoformat(data["completed_on"])


def _signoff(session: Session, problem: Problem, data: Mapping[str, Any], user: User) -> None:
    if data.get("signoff_decision") == "approve" and data.get("no_transfer_approved"):
        problem.no_transfer_approved_by = user.id


def _approve_void(session: Session, problem: Problem, data: Mapping[str, Any], user: User) -> None:
    if data.get("void_decision") != "approve":
        problem.void_proposed_by = None
        problem.void_reason = ""  # refused: the reason stays in the case's history only
        return
    problem.voided_at = clock.now()
    problem.voided_by = user.id
    case = session.get(Case, problem.case_id)
    assert case is not None
    problems.follow_case(session, problem, case)


def _draft(session: Session, problem: Problem, data: Mapping[str, Any], _user: User) -> None:
    problem.public_text = disclosures.masked(session, problem, data["public_text"])


def _approve_disclosure(
    session: Session, problem: Problem, data: Mapping[str, Any], _user: User
) -> None:
    if data.get("disclosure_decision") == "approve":
        # Masked again: a clue may have named someone since the text was drafted.
        problem.public_text = disclosures.masked(session, problem, problem.public_text)
        problem.published_at = clock.now()


EFFECTS: dict[str, Callable[[Session, Problem, Mapping[str, Any], User], None]] = {
    "correct_registration": apply_registration,
    "review_registration": _review,
    "approve_extension": _extension,
    "rectify": _rectify,
    "signoff": _signoff,
    "approve_void": _approve_void,
    "draft_disclosure": _draft,
    "approve_disclosure": _approve_disclosure,
}


def apply(
    session: Session, problem: Problem, form_key: str, data: Mapping[str, Any], user: User
) -> None:
    effect = EFFECTS.get(form_key)
    if effect is not None:
        effect(session, problem, data, user)


def rectification_values(problem: Problem) -> dict[str, Any]:
    """What the unit recorded at its last rectification, so a resubmission (after a return,
    or in a reopened lifecycle) starts from the money already recorded, not from zero."""
    values: dict[str, Any] = {}
    if problem.recovered_fen:
        values["amount_recovered"] = yuan(problem.recovered_fen)
    if problem.returned_fen:
        values["amount_returned"] = yuan(problem.returned_fen)
    if problem.no_transfer_reason:
        values["no_transfer_reason"] = problem.no_transfer_reason
    if problem.measures_taken:
        values["measures_taken"] = problem.measures_taken
    return values


def registration_values(problem: Problem) -> dict[str, Any]:
    """The registration as form values, so a correction starts from what was entered."""
    return {
        "source": problem.source,
        "village": problem.village.code if problem.village else "",
        "programme": problem.programme.code,
        "focus_item": problem.focus_item.code,
        "stat_category": problem.stat_category.code,
        "description": problem.description,
        "amount": yuan(problem.amount_fen),
        "cards": problem.cards,
        "households": problem.households,
        "persons": problem.persons,
        "involved_names": problem.involved_names,
        "discovered_on": problem.discovered_on.isoformat(),
    }


def proposed_responsibility(problem: Problem) -> dict[str, Any]:
    """Responsibility proposed at registration (e.g. in an imported sheet), as review form
    values: the reviewer starts from it and decides."""
    values: dict[str, Any] = {}
    if problem.responsible_unit is not None:
        values["responsible_unit"] = problem.responsible_unit.code
    if problem.responsible_person:
        values["responsible_person"] = problem.responsible_person
    if problem.deadline is not None:
        values["deadline"] = problem.deadline.isoformat()
    return values
