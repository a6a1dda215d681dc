"""Completing any task of the campaign: the engine runs the case, then the record the case
serves (a problem, a clue, a report) takes up what the task decided."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, clues, ledger_effects, notifications, obligations, problems
from campaign.models import Clue, KeyCheck, Obligation, Problem, User
from campaign.workflow_host import CampaignHost, actor_for
from engine import cases
from engine.errors import NotAllowed
from engine.models import Case, WorkItem, WorkItemState


def complete(
    session: Session, host: CampaignHost, user: User, work_item_id: int, data: Mapping[str, Any]
) -> cases.Completion:
    item = session.get(WorkItem, work_item_id)
    if item is not None:
        _check_rules_before(session, item, user)
    done = cases.complete_task(session, host, work_item_id, data, actor_for(user))
    subject = _subject(session, done.case)
    if isinstance(subject, Problem):
        ledger_effects.apply(session, subject, done.item.form_key, done.data)
        problems.sync_status(session, subject)
        if done.data.get("suspected_violation"):
            clues.transfer(
                session, host, user, subject, done.data["clue_summary"], from_step=done.item.title
            )
    elif isinstance(subject, Clue):
        clues.apply_outcome(subject, done.item.form_key, done.data)
    elif isinstance(subject, Obligation):
        obligations.apply(session, subject, done.item.form_key, done.data, user)
    elif isinstance(subject, KeyCheck) and done.case.status == "completed":
        subject.status = "done"
    notifications.for_new_work(
        session, done.case.id, returned=sends_back(done.data), note=decision_note(done.data)
    )
    audit.record(
        session,
        "task.complete",
        actor=user,
        target=f"case:{done.case.id}",
        task=done.item.bpmn_id,
        form=done.item.form_key,
    )
    return done


def _subject(session: Session, case: Case) -> Problem | Clue | Obligation | KeyCheck | None:
    """The record a case serves, by the subject it was started with."""
    if case.subject_id is None:
        return None
    if case.subject_type == "problem":
        return session.get(Problem, case.subject_id)
    if case.subject_type == "clue":
        return session.get(Clue, case.subject_id)
    if case.subject_type == "obligation":
        return session.get(Obligation, case.subject_id)
    if case.subject_type == "key_check":
        return session.get(KeyCheck, case.subject_id)
    return None


def _check_rules_before(session: Session, item: WorkItem, user: User) -> None:
    """Rules about who and when that a form alone cannot express."""
    if item.form_key == "approve_disclosure":
        drafter = session.scalar(
            select(WorkItem.completed_by)
            .where(
                WorkItem.case_id == item.case_id,
                WorkItem.bpmn_id == "draft_disclosure",
                WorkItem.state == WorkItemState.COMPLETED.value,
            )
            .order_by(WorkItem.id.desc())
            .limit(1)
        )
        if drafter == user.id:
            raise NotAllowed("公示内容须由拟稿人以外的另一人审批")
    if item.form_key == "confirm_close":
        subject = _subject(session, item.case)
        if isinstance(subject, Problem):
            clues.require_outcomes(session, subject)


def sends_back(data: Mapping[str, Any]) -> bool:
    """A decision that returns the work to an earlier step."""
    decisions = ("review_decision", "signoff_decision", "disclosure_decision", "report_decision")
    return any(data.get(name) == "return" for name in decisions) or (
        data.get("extension_decision") == "reject"
    )


def decision_note(data: Mapping[str, Any]) -> str:
    """The reason or opinion given with a decision, for the history, the notice and the
    banner on a returned task."""
    for name, value in data.items():
        if name.endswith(("_reason", "_opinion")) and isinstance(value, str) and value.strip():
            return value.strip()
    return ""
