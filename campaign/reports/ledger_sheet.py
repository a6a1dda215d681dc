"""The ledger as a workbook: the import template's choice lists, and the ledger download, the
整改台账 (the template's columns, labels not codes, and the lifecycle's: number, rectification,
status, dates, clues), streamed from one query."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from campaign.models import Clue, FocusItem, Problem, Programme, StatCategory, Unit
from campaign.models.ledger import ProblemStatus
from campaign.models.org import UnitKind
from campaign.org import unit_by_code
from campaign.reports.attachment2 import LEVEL_ORDER, entries_in_scope
from campaign.reports.scope import ReportScope, subtree
from core import clock
from forms import registry
from forms.ledger_excel import LedgerChoices, LedgerRow, write_ledger, write_template
from forms.ledger_excel.columns import focus_label

# Units that keep a ledger and may be responsible for rectifying, as in campaign.choices.
LEDGER_KINDS = (
    UnitKind.BUREAU.value,
    UnitKind.OFFICE.value,
    UnitKind.DEPARTMENT.value,
    UnitKind.TOWNSHIP.value,
)
# Rows fetched at a time: a row of the 整改台账 has 27 values, texts among them; 1000 keep
# the download of 10^5 entries under 90 MB (5000: 104–112 MB), no slower.
BATCH = 1000


def source_choices() -> tuple[tuple[str, str], ...]:
    form = registry.get("register_problem")
    assert form is not None
    return next(f.choices for f in form.fields if f.name == "source")


def ledger_choices(
    session: Session, campaign_id: int, *, unit_code: str | None = None
) -> LedgerChoices:
    """The valid values of the sheet; with unit_code, only that unit and the units below it
    appear in 乡镇（单位） (a township's officer gets a template of their own)."""
    active = (Unit.active.is_(True), Unit.kind.in_(LEDGER_KINDS))
    ledger_units = select(Unit).where(*active).order_by(Unit.sort_order, Unit.code)
    if unit_code:
        ledger_units = ledger_units.where(Unit.id.in_(subtree(unit_by_code(session, unit_code).id)))
    units = list(session.scalars(ledger_units))
    responsible = session.scalars(select(Unit).where(*active).order_by(Unit.sort_order, Unit.code))
    villages: dict[str, list[tuple[str, str]]] = {}
    parent_code = {u.id: u.code for u in units}
    village_rows = session.scalars(
        select(Unit)
        .where(
            Unit.kind == UnitKind.VILLAGE.value,
            Unit.active.is_(True),
            Unit.parent_id.in_(list(parent_code)),
        )
        .order_by(Unit.sort_order, Unit.code)
    )
    for village in village_rows:
        assert village.parent_id is not None
        villages.setdefault(parent_code[village.parent_id], []).append((village.code, village.name))
    programmes = list(
        session.scalars(
            select(Programme).where(
                Programme.campaign_id == campaign_id, Programme.active.is_(True)
            )
        )
    )
    programmes.sort(key=lambda p: (LEVEL_ORDER.get(p.level, 0), p.sort_order, p.id))
    categories = session.scalars(select(StatCategory).order_by(StatCategory.sort_order))
    focus = session.scalars(select(FocusItem).order_by(FocusItem.group_no, FocusItem.item_no))
    return LedgerChoices(
        sources=source_choices(),
        units=tuple((u.code, u.name) for u in units),
        programmes=tuple((p.code, p.name) for p in programmes),
        categories=tuple((c.code, c.name) for c in categories),
        focus_items=tuple((f.code, f.name) for f in focus),
        responsible_units=tuple((u.code, u.name) for u in responsible),
        villages={code: tuple(rows) for code, rows in villages.items()},
    )


def ledger_rows(session: Session, scope: ReportScope) -> Iterator[LedgerRow]:
    """Every entry in scope, in registration order, streamed in batches."""
    return rows_where(session, entries_in_scope(scope))


# After these the rectification has been reported: its completion date stands. (A reopened
# entry keeps the date of its earlier rectification until it is rectified again.)
RECTIFIED_STATUSES = frozenset(
    s.value
    for s in (
        ProblemStatus.SIGNOFF,
        ProblemStatus.DISCLOSING,
        ProblemStatus.CLOSING,
        ProblemStatus.CLOSED,
    )
)
# Waiting for the responsible unit's rectification: overdue once the deadline has passed.
DUE_STATUSES = frozenset({ProblemStatus.RECTIFYING.value, ProblemStatus.EXTENSION.value})


def status_text(status: str, void_reason: str, deadline: date | None, today: date) -> str:
    """The 状态 column: the status label, the reason of a voided entry, 逾期 when the
    rectification is due and its deadline has passed."""
    try:
        label = ProblemStatus(status).label
    except ValueError:
        label = status
    if status == ProblemStatus.VOIDED.value and void_reason.strip():
        return f"{label}：{void_reason.strip()}"
    if status in DUE_STATUSES and deadline is not None and deadline < today:
        return f"{label}（逾期）"
    return label


def _choice_labels(form_key: str, field: str) -> dict[str, str]:
    form = registry.get(form_key)
    assert form is not None, form_key
    return dict(next(f.choices for f in form.fields if f.name == field))


def clue_numbers(session: Session, conditions: Sequence[ColumnElement[bool]]) -> dict[int, str]:
    """The numbers of the clues transferred about each entry meeting the conditions (an entry
    has a few at most, most have none: one query, held by entry)."""
    numbers: dict[int, list[str]] = {}
    query = (
        select(Clue.problem_id, Clue.number)
        .join(Problem, Problem.id == Clue.problem_id)
        .where(*conditions)
        .order_by(Clue.problem_id, Clue.id)
    )
    for problem_id, number in session.execute(query):
        numbers.setdefault(problem_id, []).append(number)
    return {problem_id: "、".join(found) for problem_id, found in numbers.items()}


def rows_where(session: Session, conditions: Sequence[ColumnElement[bool]]) -> Iterator[LedgerRow]:
    """The entries meeting the conditions (e.g. the filters of the ledger page), as rows of
    the 整改台账, in registration order."""
    village = aliased(Unit)
    responsible = aliased(Unit)
    sources = dict(source_choices())
    types = _choice_labels("review_registration", "rectify_type")
    clues = clue_numbers(session, conditions)
    today = clock.local_now().date()
    query = (
        select(
            Problem.id,
            Problem.number,
            Problem.source,
            Unit.name.label("unit"),
            village.name.label("village"),
            Programme.name.label("programme"),
            StatCategory.name.label("category"),
            FocusItem.code.label("focus_code"),
            FocusItem.name.label("focus_name"),
            Problem.description,
            Problem.amount_fen,
            Problem.cards,
            Problem.households,
            Problem.persons,
            Problem.discovered_on,
            responsible.name.label("responsible"),
            Problem.responsible_person,
            Problem.rectify_type,
            Problem.measures,
            Problem.deadline,
            Problem.status,
            Problem.void_reason,
            Problem.measures_taken,
            Problem.recovered_fen,
            Problem.returned_fen,
            Problem.rectified_on,
            Problem.closed_at,
        )
        .join(Unit, Unit.id == Problem.unit_id)
        .outerjoin(village, village.id == Problem.village_id)
        .join(Programme, Programme.id == Problem.programme_id)
        .join(StatCategory, StatCategory.id == Problem.stat_category_id)
        .join(FocusItem, FocusItem.id == Problem.focus_item_id)
        .outerjoin(responsible, responsible.id == Problem.responsible_unit_id)
        .where(*conditions)
        .order_by(Problem.id)
        .execution_options(yield_per=BATCH)
    )
    for row in session.execute(query):
        closed_at = row.closed_at
        yield LedgerRow(
            number=row.number,
            source=sources.get(row.source, row.source),
            unit=row.unit,
            village=row.village or "",
            programme=row.programme,
            category=row.category,
            focus_item=focus_label(row.focus_code, row.focus_name),
            description=row.description,
            amount_fen=row.amount_fen,
            cards=row.cards,
            households=row.households,
            persons=row.persons,
            discovered_on=row.discovered_on,
            responsible_unit=row.responsible or "",
            responsible_person=row.responsible_person or "",
            rectify_type=types.get(row.rectify_type, row.rectify_type or ""),
            measures=row.measures or "",
            deadline=row.deadline,
            status=status_text(row.status, row.void_reason or "", row.deadline, today),
            measures_taken=row.measures_taken or "",
            recovered_fen=row.recovered_fen or 0,
            returned_fen=row.returned_fen or 0,
            rectified_on=row.rectified_on if row.status in RECTIFIED_STATUSES else None,
            closed_on=closed_at.astimezone(clock.LOCAL_TZ).date() if closed_at else None,
            clues=clues.get(row.id, ""),
        )


def export_ledger(session: Session, scope: ReportScope, target: str | Path | BinaryIO) -> int:
    """The ledger download of the scope, the 整改台账 with one row per entry; it imports
    again (the lifecycle's columns are not read). Returns the number of entries written."""
    choices = ledger_choices(session, scope.campaign_id)
    return write_ledger(ledger_rows(session, scope), choices, target)


def export_template(
    session: Session,
    campaign_id: int,
    target: str | Path | BinaryIO,
    *,
    unit_code: str | None = None,
) -> None:
    """The empty import sheet with drop-down lists of the valid values."""
    write_template(ledger_choices(session, campaign_id, unit_code=unit_code), target)
