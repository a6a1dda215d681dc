"""The ledger as a workbook: the import template's choice lists, and the ledger download in
the same columns (labels, not codes), streamed from one query."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from campaign.models import FocusItem, Problem, Programme, StatCategory, Unit
from campaign.models.org import UnitKind
from campaign.org import unit_by_code
from campaign.reports.attachment2 import LEVEL_ORDER, entries_in_scope
from campaign.reports.scope import ReportScope, subtree
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
BATCH = 5000


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


def rows_where(session: Session, conditions: Sequence[ColumnElement[bool]]) -> Iterator[LedgerRow]:
    """The entries meeting the conditions (e.g. the filters of the ledger page), as rows of
    the import sheet, in registration order."""
    village = aliased(Unit)
    responsible = aliased(Unit)
    labels = dict(source_choices())
    query = (
        select(
            Problem.source,
            Unit.name,
            village.name,
            Programme.name,
            StatCategory.name,
            FocusItem.code,
            FocusItem.name,
            Problem.description,
            Problem.amount_fen,
            Problem.cards,
            Problem.households,
            Problem.discovered_on,
            responsible.name,
            Problem.responsible_person,
            Problem.deadline,
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
        (source, unit, village_name, programme, category, focus_code, focus_name) = row[:7]
        (description, fen, cards, households, discovered, responsible_name, person) = row[7:14]
        yield LedgerRow(
            source=labels.get(source, source),
            unit=unit,
            village=village_name or "",
            programme=programme,
            category=category,
            focus_item=focus_label(focus_code, focus_name),
            description=description,
            amount_fen=fen,
            cards=cards,
            households=households,
            discovered_on=discovered,
            responsible_unit=responsible_name or "",
            responsible_person=person or "",
            deadline=row[14],
        )


def export_ledger(session: Session, scope: ReportScope, target: str | Path | BinaryIO) -> int:
    """The ledger download of the scope: the import sheet with one row per entry, so it
    imports again. Returns the number of entries written."""
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
