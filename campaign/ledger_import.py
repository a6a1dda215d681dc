"""Importing ledger entries from the Excel sheet 问题台账, all or nothing.

Every row is checked first, with the register form's own rules and the importing person's
right to register for the row's unit; any error in any row means nothing is stored and the
result lists every bad row and column with the reason. Otherwise the rows are registered
together by campaign.registration, exactly as a registered problem is: numbers, entries,
cases, work items, notifications and audit records, inserted in batches.

责任单位, 责任人 and 整改时限 are what the reviewer decides in 审核. An imported value is
stored on the entry as a proposal and passed in the case's data under the review form's
field names, so the review form can show it; approving the review sets the final values.

Columns are found by their header: the ledger download (the 整改台账) imports again. Its
number, status, rectification and dates belong to the entry's lifecycle and are not read:
each row becomes a new entry waiting for review; the result names the columns not read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import audit, category_rules, problems
from campaign.current import active_campaign
from campaign.models import Campaign, Unit, User
from campaign.registration import Registration, register_many
from campaign.reports.ledger_sheet import ledger_choices
from core import clock
from core.errors import ERRORS_LISTED, InvalidInput
from engine.host import EngineHost
from forms.ledger_excel import SHEET, RowError, SpreadsheetRefused, read_ledger
from forms.ledger_excel.columns import COLUMNS
from forms.ledger_excel.rows import FIELD_COLUMNS, CleanRow, parse_rows

# phase ("读取", "校验", "导入"), rows done, rows in all
Progress = Callable[[str, int, int], None]


class LedgerFileRefused(InvalidInput):
    """The file itself cannot be read (not an xlsx, too large, a zip bomb, ...)."""


@dataclass
class ImportResult:
    rows: int  # data rows read from the sheet
    errors: list[RowError] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # ledger numbers, in sheet order
    dry_run: bool = False
    ignored: list[str] = field(default_factory=list)  # the sheet's columns not imported

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def listed(self) -> list[RowError]:
        """The errors a page names one by one (the first ERRORS_LISTED)."""
        return self.errors[:ERRORS_LISTED]

    @property
    def ignored_note(self) -> str:
        """What the person is told about the columns not imported ('' when none)."""
        if not self.ignored:
            return ""
        return f"以下列不导入：{'、'.join(self.ignored)}。"


class RowsRefused(InvalidInput):
    """Rows of the sheet were refused: nothing was imported; `result` lists each one."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        super().__init__(f"导入被拒绝：共 {len(result.errors)} 处错误，未导入任何数据")


def _quiet(phase: str, done: int, total: int) -> None:
    pass


def import_ledger(
    session: Session,
    host: EngineHost,
    user: User,
    source: str | Path | IO[bytes],
    *,
    dry_run: bool = False,
    progress: Progress = _quiet,
) -> ImportResult:
    """Check every row, then (unless dry_run or any row is bad) register them all.

    Raises LedgerFileRefused when the file cannot be read at all."""
    sheet = read_sheet(source, progress)
    if isinstance(sheet, ImportResult):
        return replace(sheet, dry_run=dry_run)
    return import_rows(session, host, user, sheet, dry_run=dry_run, progress=progress)


@dataclass(frozen=True)
class ReadSheet:
    """The data rows of a sheet whose header was right, and the columns not imported."""

    rows: Sequence[tuple[int, Any]]
    ignored: list[str]


def read_sheet(
    source: str | Path | IO[bytes], progress: Progress = _quiet
) -> ReadSheet | ImportResult:
    """The sheet's rows, or the result refusing its header; raises LedgerFileRefused when
    the file cannot be read or holds no rows. Reads no database."""
    progress("读取", 0, 0)
    try:
        sheet = read_ledger(source)
    except SpreadsheetRefused as refused:
        raise LedgerFileRefused(str(refused)) from None
    ignored = list(sheet.ignored)
    if sheet.header_errors:
        return ImportResult(0, list(sheet.header_errors), ignored=ignored)
    if not sheet.rows:
        raise LedgerFileRefused(f"工作表“{SHEET}”中没有数据行（第 1 行为表头，问题从第 2 行填起）")
    return ReadSheet(sheet.rows, ignored)


def import_rows(
    session: Session,
    host: EngineHost,
    user: User,
    sheet: ReadSheet,
    *,
    dry_run: bool = False,
    progress: Progress = _quiet,
) -> ImportResult:
    """Check the rows of a read sheet, then (unless dry_run or any row is bad) register
    them all and audit the import."""
    total = len(sheet.rows)
    progress("校验", 0, total)
    campaign = active_campaign(session)
    clean, errors = check_rows(session, user, campaign, sheet.rows)
    progress("校验", total, total)
    result = ImportResult(total, errors, dry_run=dry_run, ignored=list(sheet.ignored))
    if errors or dry_run:
        return result
    result.created = store(session, host, user, campaign, clean, progress)
    record_import(session, user, campaign, result)
    return result


def record_import(session: Session, user: User, campaign: Campaign, result: ImportResult) -> None:
    audit.record(
        session,
        "ledger.import",
        actor=user,
        target=f"campaign:{campaign.code}",
        rows=result.rows,
        first=result.created[0] if result.created else "",
        last=result.created[-1] if result.created else "",
    )


def check_rows(
    session: Session, user: User, campaign: Campaign, rows: Sequence[tuple[int, Any]]
) -> tuple[list[CleanRow], list[RowError]]:
    choices = ledger_choices(session, campaign.id)
    units = {
        u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(dict(choices.units))))
    }
    refusals = {
        code: refusal
        for code, unit in units.items()
        if (refusal := problems.register_refusal(session, user, unit)) is not None
    }
    choices = replace(choices, unit_refusals=refusals)
    clean, errors = parse_rows(rows, choices, today=clock.local_now().date())
    categories = category_rules.measures(session)
    kept: list[CleanRow] = []
    for row in clean:
        refused = category_rules.refusals(categories, row.data)
        errors += [
            RowError(row.row, FIELD_COLUMNS[field], message.partition("：")[2] or message)
            for field, message in refused.items()
        ]
        if not refused:
            kept.append(row)
    order = {column: index for index, column in enumerate(COLUMNS)}
    errors.sort(key=lambda error: (error.row, order.get(error.column, -1)))
    return kept, errors


def store(
    session: Session,
    host: EngineHost,
    user: User,
    campaign: Campaign,
    rows: list[CleanRow],
    progress: Progress = _quiet,
) -> list[str]:
    """Register the checked rows as registration does any entry; returns their numbers."""
    entries = [
        Registration(
            row.unit,
            row.data,
            responsible_unit=row.responsible_unit,
            responsible_person=row.responsible_person,
            deadline=row.deadline,
            source="import",
        )
        for row in rows
    ]
    made = register_many(
        session,
        host,
        user,
        campaign,
        entries,
        progress=lambda done, total: progress("导入", done, total),
    )
    return [number for _id, number in made]
