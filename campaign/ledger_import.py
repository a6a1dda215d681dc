"""Importing ledger entries from the Excel sheet 问题台账, all or nothing.

Every row is checked first, with the register form's own rules and the importing person's
right to register for the row's unit; any error in any row means nothing is stored and the
result lists every bad row and column with the reason. Otherwise each row becomes a ledger
entry with its lifecycle started, as problems.register would make it, in bulk: the numbers
of a unit are taken in one step, and entries, their cases and work items are inserted in
batches (engine.batch_start).

责任单位, 责任人 and 整改时限 are what the reviewer decides in 审核. An imported value is
stored on the entry as a proposal and passed in the case's data under the review form's
field names, so the review form can show it; approving the review sets the final values."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign import audit, problems
from campaign.current import active_campaign
from campaign.errors import InvalidInput
from campaign.models import (
    AuditEvent,
    Campaign,
    FocusItem,
    NumberCounter,
    Problem,
    ProblemStatus,
    Programme,
    StatCategory,
    Unit,
    User,
)
from campaign.reports.ledger_sheet import ledger_choices
from campaign.workflow_host import CampaignHost, actor_for
from core import bulk, clock
from engine.batch_start import NewCase, start_cases
from engine.host import CaseContext
from engine.models import Case, CaseEvent, Timer, WorkItem, WorkItemState
from forms.ledger_excel import SHEET, RowError, SpreadsheetRefused, read_ledger
from forms.ledger_excel.rows import CleanRow, parse_rows

BATCH = 500
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

    @property
    def ok(self) -> bool:
        return not self.errors


def _quiet(phase: str, done: int, total: int) -> None:
    pass


def import_ledger(
    session: Session,
    host: CampaignHost,
    user: User,
    source: str | Path | IO[bytes],
    *,
    dry_run: bool = False,
    progress: Progress = _quiet,
) -> ImportResult:
    """Check every row, then (unless dry_run or any row is bad) register them all.

    Raises LedgerFileRefused when the file cannot be read at all."""
    progress("读取", 0, 0)
    try:
        sheet = read_ledger(source)
    except SpreadsheetRefused as refused:
        raise LedgerFileRefused(str(refused)) from None
    if sheet.header_errors:
        return ImportResult(0, list(sheet.header_errors), dry_run=dry_run)
    if not sheet.rows:
        raise LedgerFileRefused(f"工作表“{SHEET}”中没有数据行（第 1 行为表头，问题从第 2 行填起）")
    total = len(sheet.rows)
    progress("校验", 0, total)
    campaign = active_campaign(session)
    clean, errors = check_rows(session, user, campaign, sheet.rows)
    progress("校验", total, total)
    result = ImportResult(total, errors, dry_run=dry_run)
    if errors or dry_run:
        return result
    result.created = store(session, host, user, campaign, clean, progress)
    audit.record(
        session,
        "ledger.import",
        actor=user,
        target=f"campaign:{campaign.code}",
        rows=total,
        first=result.created[0] if result.created else "",
        last=result.created[-1] if result.created else "",
    )
    return result


def check_rows(
    session: Session, user: User, campaign: Campaign, rows: Sequence[tuple[int, Any]]
) -> tuple[list[CleanRow], list[RowError]]:
    choices = ledger_choices(session, campaign.id)
    units = {
        u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(dict(choices.units))))
    }
    refusals = {
        code: f"您不能为“{unit.name}”登记问题"
        for code, unit in units.items()
        if not problems.may_register(session, user, unit)
    }
    choices = replace(choices, unit_refusals=refusals)
    return parse_rows(rows, choices, today=clock.local_now().date())


def _reserve_numbers(session: Session, scope: str, count: int) -> int:
    """Take `count` consecutive numbers of a scope in one UPDATE; returns the first. The
    counter row is the one problems.register uses, so numbers stay gap-free and unique."""
    if session.scalar(select(NumberCounter.last).where(NumberCounter.scope == scope)) is None:
        try:
            with session.begin_nested():
                session.add(NumberCounter(scope=scope, last=0))
        except IntegrityError:  # created meanwhile by another transaction
            pass
    last = session.scalar(
        update(NumberCounter)
        .where(NumberCounter.scope == scope)
        .values(last=NumberCounter.last + count)
        .returning(NumberCounter.last)
    )
    assert last is not None
    return last - count + 1


def _numbers(session: Session, campaign: Campaign, rows: list[CleanRow]) -> list[str]:
    by_unit: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_unit[row.unit].append(index)
    numbers = [""] * len(rows)
    for unit_code, indexes in sorted(by_unit.items()):
        first = _reserve_numbers(session, f"problem:{campaign.year}:{unit_code}", len(indexes))
        for offset, index in enumerate(indexes):
            numbers[index] = f"{campaign.year}-{unit_code}-{first + offset:04d}"
    return numbers


def _ids(session: Session, model: type[Any], codes: set[str], **where: Any) -> dict[str, int]:
    query = select(model.code, model.id).where(model.code.in_(sorted(codes)))
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return {code: ident for code, ident in session.execute(query)}


def store(
    session: Session,
    host: CampaignHost,
    user: User,
    campaign: Campaign,
    rows: list[CleanRow],
    progress: Progress = _quiet,
) -> list[str]:
    """Insert the checked rows and start each one's lifecycle; returns their numbers."""
    if session.get_bind().dialect.name == "postgresql":
        # Statements run as prepared statements; PostgreSQL soon gives them a generic plan
        # made from the statistics of the tables as they were before this transaction
        # (empty, on a new system), which scans those tables. When cases start one by one
        # (a diagram engine.batch_start cannot start together) each case then cost more
        # than the last (500 rows took 2.7 s at first, 9.7 s by row 8,000). Planning with
        # the actual values keeps every batch as cheap as the first.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    numbers = _numbers(session, campaign, rows)
    unit_codes = {r.unit for r in rows} | {r.responsible_unit or "" for r in rows}
    unit_codes |= {r.data.get("village") or "" for r in rows}
    unit_ids = _ids(session, Unit, unit_codes - {""})
    programme_ids = _ids(
        session, Programme, {r.data["programme"] for r in rows}, campaign_id=campaign.id
    )
    focus_ids = _ids(session, FocusItem, {r.data["focus_item"] for r in rows})
    category_ids = _ids(session, StatCategory, {r.data["stat_category"] for r in rows})
    actor = actor_for(user)
    now = clock.now()
    progress("导入", 0, len(rows))
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        batch_numbers = numbers[start : start + BATCH]
        values = [
            _problem_values(row, number, campaign, user, now, unit_ids)
            | {
                "programme_id": programme_ids[row.data["programme"]],
                "focus_item_id": focus_ids[row.data["focus_item"]],
                "stat_category_id": category_ids[row.data["stat_category"]],
            }
            for row, number in zip(batch, batch_numbers, strict=True)
        ]
        # The cases name their entries, the entries their cases: the entries' ids are
        # taken first, the cases started, then the entries inserted complete (no UPDATE).
        ids = bulk.reserve_ids(session, Problem, len(batch))
        case_ids = start_cases(
            session,
            host,
            problems.PROCESS_KEY,
            [
                NewCase(
                    data=_case_data(row, problem_id, number),
                    context=CaseContext(
                        owning_unit_id=unit_ids[row.unit],
                        subject_type="problem",
                        subject_id=problem_id,
                    ),
                )
                for row, problem_id, number in zip(batch, ids, batch_numbers, strict=True)
            ],
            actor=actor,
        )
        statuses = _statuses(session, case_ids)
        for value, problem_id, case_id, status in zip(values, ids, case_ids, statuses, strict=True):
            value.update(id=problem_id, case_id=case_id, status=status)
        bulk.insert_rows(session, Problem, values)
        _audit(session, user, batch, batch_numbers, now)
        session.flush()
        _forget_engine_rows(session, set(case_ids))
        progress("导入", start + len(batch), len(rows))
    return numbers


def _problem_values(
    row: CleanRow,
    number: str,
    campaign: Campaign,
    user: User,
    now: Any,
    unit_ids: dict[str, int],
) -> dict[str, Any]:
    data = row.data
    village = data.get("village")
    return {
        "campaign_id": campaign.id,
        "number": number,
        "unit_id": unit_ids[row.unit],
        "village_id": unit_ids[village] if village else None,
        "source": data["source"],
        "description": data["description"],
        "amount_fen": data.get("amount") or 0,
        "cards": data.get("cards") or 0,
        "households": data.get("households") or 0,
        "persons": data.get("persons") or 0,
        "discovered_on": date.fromisoformat(data["discovered_on"]),
        "responsible_unit_id": unit_ids[row.responsible_unit] if row.responsible_unit else None,
        "responsible_person": row.responsible_person,
        "deadline": row.deadline,
        "status": ProblemStatus.REVIEWING.value,
        "registered_by": user.id,
        "registered_at": now,
    }


def _case_data(row: CleanRow, problem_id: int, number: str) -> dict[str, Any]:
    data: dict[str, Any] = {**row.data, "problem_id": problem_id, "problem_number": number}
    if row.responsible_unit:
        data["responsible_unit"] = row.responsible_unit
    if row.responsible_person:
        data["responsible_person"] = row.responsible_person
    if row.deadline:
        data["deadline"] = row.deadline.isoformat()
    return data


def _statuses(session: Session, case_ids: list[int]) -> list[str]:
    """Each entry's status, derived from its case's open step (as problems.sync_status
    does one at a time)."""
    open_steps = select(WorkItem.case_id, WorkItem.bpmn_id).where(
        WorkItem.case_id.in_(case_ids), WorkItem.state == WorkItemState.OPEN.value
    )
    steps: dict[int, str] = {case_id: step for case_id, step in session.execute(open_steps)}
    return [
        problems.STEP_STATUS.get(steps.get(case_id, ""), ProblemStatus.REVIEWING).value
        for case_id in case_ids
    ]


def _audit(
    session: Session, user: User, rows: list[CleanRow], numbers: list[str], now: Any
) -> None:
    """The audit record problems.register writes, one per entry, in one statement."""
    bulk.insert_rows(
        session,
        AuditEvent,
        [
            {
                "at": now,
                "actor_id": user.id,
                "actor_name": user.username,
                "action": "problem.register",
                "target": f"problem:{number}",
                "success": True,
                "source": "import",
                "detail": json.dumps({"unit": row.unit}, ensure_ascii=False),
            }
            for row, number in zip(rows, numbers, strict=True)
        ],
    )


def _forget_engine_rows(session: Session, case_ids: set[int]) -> None:
    """A case holds its serialized workflow: keeping a hundred thousand of them in the
    session would take gigabytes. Flushed engine rows of this batch are let go."""
    for obj in list(session.identity_map.values()):
        if (isinstance(obj, Case) and obj.id in case_ids) or (
            isinstance(obj, (WorkItem, CaseEvent, Timer)) and obj.case_id in case_ids
        ):
            session.expunge(obj)
