"""An imported row is a registration: the same data registered through the form and imported
from a sheet by the same person at the same moment comes out the same everywhere it leaves
a trace (the entry, its case and lifecycle, its work, the notices, the audit record), apart
from ids, the number and how it arrived."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import problems
from campaign.ledger_import import import_ledger
from campaign.models import AuditEvent, Notification, Problem
from campaign.workflow_host import CampaignHost
from core import clock
from engine import cases
from engine.models import Case, CaseEvent, Timer, WorkItem
from tests.reports.conftest import NOW, user
from tests.reports.sheets import good_row, workbook

# The register form as the web page posts it: the values of good_row() (labels there, codes
# here); 涉及人数 is not a column of the sheet, so it is left empty here too.
FORM = {
    "source": "self_inspection",
    "village": "QSZ01",
    "programme": "P11",
    "focus_item": "3.3",
    "stat_category": "S02",
    "description": "村会计截留耕地地力保护补贴",
    "amount": "1234.56",
    "cards": "0",
    "households": "3",
    "persons": "7",
    "discovered_on": "2022-06-10",
}
# Names of the entry inside the case's data: they differ between two entries by nature.
NAMES = {"problem_id", "problem_number"}
NUMBER = re.compile(r"2022-QSZ-(\d{4})")


def _columns(row: Any, *, leave_out: set[str]) -> dict[str, Any]:
    return {
        column.key: getattr(row, column.key)
        for column in row.__table__.columns
        if column.key not in leave_out
    }


def _without_names(data: dict[str, Any], problem: Problem) -> dict[str, Any]:
    assert (data["problem_id"], data["problem_number"]) == (problem.id, problem.number)
    return {name: value for name, value in data.items() if name not in NAMES}


def _task(task: Any, problem: Problem) -> tuple[str, int, str]:
    """A SpiffWorkflow task of the case (engine/ alone imports SpiffWorkflow)."""
    data = _without_names(task.data, problem) if task.data else {}
    return task.task_spec.bpmn_id or "", task.state, json.dumps(data, sort_keys=True, default=str)


def traces(session: Session, problem: Problem) -> dict[str, Any]:
    """Everything registering the problem left, with what names this one entry left out.
    Read back from the database, not from objects the session still holds."""
    case = session.get(Case, problem.case_id)
    assert case is not None
    assert (case.subject_type, case.subject_id) == ("problem", problem.id)
    workflow = cases.load(session, case)
    items = session.scalars(
        select(WorkItem).where(WorkItem.case_id == case.id).order_by(WorkItem.id)
    ).all()
    item_ids = [item.id for item in items]
    events = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()
    timers = session.scalars(select(Timer).where(Timer.case_id == case.id)).all()
    notices = session.scalars(
        select(Notification).where(Notification.work_item_id.in_(item_ids))
    ).all()
    audited = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "problem.register",
            AuditEvent.target == f"problem:{problem.number}",
        )
    ).all()
    return {
        "entry": _columns(problem, leave_out={"id", "number", "case_id"}),
        "case": _columns(case, leave_out={"id", "subject_id", "state"})
        | {"definition": (case.definition.key, case.definition.version)},
        "workflow": {
            "data": workflow.data,
            "tasks": sorted(_task(task, problem) for task in workflow.get_tasks()),
        },
        "work_items": [_columns(item, leave_out={"id", "case_id", "task_guid"}) for item in items],
        "events": [
            _columns(event, leave_out={"id", "case_id", "data"})
            | {"data": _without_names(json.loads(event.data), problem) if event.data else {}}
            for event in events
        ],
        "timers": sorted(
            str(_columns(timer, leave_out={"id", "case_id", "task_guid"})) for timer in timers
        ),
        "notices": sorted(
            (
                n.user_id,
                n.kind,
                n.text.replace(problem.number, "<number>"),  # a notice names its problem
                n.created_at,
                n.read_at,
                item_ids.index(n.work_item_id),
            )
            for n in notices
            if n.work_item_id is not None
        ),
        "audit": [
            _columns(event, leave_out={"id", "target", "source", "prev_hash", "hash"})
            for event in audited
        ],
        "audit_sources": [event.source for event in audited],
    }


def test_an_imported_row_comes_out_as_the_same_registration_from_the_form(
    db_session: Session, host: CampaignHost
) -> None:
    assert clock.now() == NOW  # frozen by the conftest: both get the same timestamps
    office = user(db_session, "ldxz_ban")
    registered = problems.register(db_session, host, office, "QSZ", FORM)
    result = import_ledger(db_session, host, office, workbook([good_row()]))
    assert result.ok and len(result.created) == 1
    db_session.expire_all()
    imported = db_session.scalars(select(Problem).where(Problem.number == result.created[0])).one()

    # Numbered in the same series, one after the other.
    first, second = (NUMBER.fullmatch(p.number) for p in (registered, imported))
    assert first is not None and second is not None
    assert int(second.group(1)) == int(first.group(1)) + 1

    by_form, by_sheet = traces(db_session, registered), traces(db_session, imported)
    # The comparison means something only if there is something to compare.
    assert by_form["entry"]["status"] == "reviewing"
    assert by_form["work_items"] and by_form["events"] and by_form["notices"]
    assert [w["bpmn_id"] for w in by_form["work_items"]] == ["review_registration"]
    # The form's record takes its source from the request ("web" or "api"; none here, outside
    # one); the import names itself.
    assert by_form["audit_sources"] == [""] and by_sheet["audit_sources"] == ["import"]
    for part in ("entry", "case", "workflow", "work_items", "events", "timers", "notices", "audit"):
        assert by_sheet[part] == by_form[part], part
