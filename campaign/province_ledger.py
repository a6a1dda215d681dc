"""The demo province's ledger: a million entries in every lifecycle stage, copied from the
templates (campaign.province_templates).

Each copy is the template's stored workflow, work items, events and timers with fresh task
ids and the copy's own entry id, number, village, township and money put in. Money is the
template's times 1 to 4, every money field alike, so each copy keeps its category's rules.
The entries' rows are written to match: the ledger's figures are those of the cases, and
附件2/附件3 add them up."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from campaign import numbering
from campaign.models import Attachment, Problem
from campaign.models.ledger import ProblemStatus
from campaign.province import Province
from campaign.province_templates import STAGES, Pattern
from campaign.registration import number_for, registration_year
from core import bulk, clock
from engine.case_copies import Copy
from engine.models import Case, CaseEvent, MessageWait, Timer, WorkItem

ENTRIES = 1_000_000
BATCH = 5000

Say = Callable[[str], None]


def _stage_sequence() -> list[ProblemStatus]:
    """A thousand stages in a fixed interleaved order, so every stretch of entries (and
    every township) has each stage in about its share."""
    slots: list[tuple[float, int, ProblemStatus]] = []
    for order, (stage, share) in enumerate(STAGES.items()):
        slots += [((n + 0.5) / share, order, stage) for n in range(share)]
    return [stage for _at, _order, stage in sorted(slots)]


def build_ledger(
    session: Session,
    made: Province,
    patterns: list[list[Pattern]],
    entries: int,
    say: Say,
) -> dict[str, int]:
    """Copies of the patterns, spread over the new townships; returns rows written by table."""
    townships = list(made.township_ids)
    per_township = {
        code: entries // len(townships) + (1 if n < entries % len(townships) else 0)
        for n, code in enumerate(townships)
    }
    year = registration_year()
    next_number = {
        code: numbering.reserve(session, f"problem:{year}:{code}", count)
        for code, count in per_township.items()
        if count
    }
    stages = _stage_sequence()
    template_township = townships[0]
    from_units = {made.township_ids[template_township]}
    written = {"problem": 0, "case_instance": 0, "work_item": 0, "case_event": 0, "case_timer": 0}
    started = clock.now()
    for first in range(0, entries, BATCH):
        count = min(BATCH, entries - first)
        plan = list(_plan(first, count, townships, stages, patterns))
        rows = _batch_rows(session, made, plan, next_number, template_township, year, from_units)
        for table, table_rows in rows.items():
            if table_rows:
                bulk.insert_rows(session, _MODELS[table], table_rows)
            written[table] = written.get(table, 0) + len(table_rows)
        done = first + count
        if done % (BATCH * 20) == 0 or done == entries:
            seconds = (clock.now() - started).total_seconds()
            say(
                f"台账：{done:,}/{entries:,} 条，任务记录 "
                f"{written['work_item'] + written['case_event']:,} 条（{seconds:.0f} 秒）"
            )
    return written


_MODELS: dict[str, Any] = {
    "case_instance": Case,
    "work_item": WorkItem,
    "case_event": CaseEvent,
    "case_timer": Timer,
    "case_message_wait": MessageWait,
    "attachment": Attachment,
    "problem": Problem,
}


def _plan(
    first: int,
    count: int,
    townships: list[str],
    stages: list[ProblemStatus],
    patterns: list[list[Pattern]],
) -> Iterator[tuple[int, str, Pattern]]:
    """Entry n goes to township n mod T in round n div T; each township walks the stage
    sequence from an offset of its own, so every township has every stage in its share."""
    order = list(STAGES)
    for n in range(first, first + count):
        round_, township = divmod(n, len(townships))
        stage = stages[(round_ + 7 * township) % len(stages)]
        these = patterns[order.index(stage)]
        yield n, townships[township], these[(round_ + township) % len(these)]


def _batch_rows(
    session: Session,
    made: Province,
    plan: list[tuple[int, str, Pattern]],
    next_number: dict[str, int],
    template_township: str,
    year: int,
    from_units: set[int],
) -> dict[str, list[dict[str, Any]]]:
    problem_ids = bulk.reserve_ids(session, Problem, len(plan))
    case_ids = bulk.reserve_ids(session, Case, len(plan))
    with_evidence = sum(1 for _n, _t, p in plan if p.evidence is not None)
    evidence_ids = iter(bulk.reserve_ids(session, Attachment, with_evidence))
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in _MODELS}
    template_unit = made.township_ids[template_township]
    officer0, officer0_name = made.officers[template_township]
    reviewer0, reviewer0_name = made.reviewers[template_township]
    for (n, township, pattern), problem_id, case_id in zip(
        plan, problem_ids, case_ids, strict=True
    ):
        unit_id = made.township_ids[township]
        villages = made.villages[township]
        village, village_id = villages[(n // len(made.township_ids)) % len(villages)]
        number = number_for(year, township, next_number[township])
        next_number[township] += 1
        times = 1 + n % 4
        amount, recovered, returned = (times * value for value in pattern.money)
        officer, officer_name = made.officers[township]
        reviewer, reviewer_name = made.reviewers[township]
        evidence_id = next(evidence_ids) if pattern.evidence is not None else 0
        copy = Copy(
            case_id=case_id,
            subject_id=problem_id,
            tokens=[
                f'"problem_id": {problem_id}',
                json.dumps(number),
                f'"village": "{village}"',
                f'"responsible_unit": "{township}"',
                f'"evidence": [{evidence_id}]',
                f'"amount": {amount}',
                f'"amount_recovered": {recovered}',
                f'"amount_returned": {returned}',
            ],
            units={template_unit: unit_id},
            users={officer0: officer, reviewer0: reviewer},
            user_names={
                f"{officer0_name}（示例）": f"{officer_name}（示例）",
                f"{reviewer0_name}（示例）": f"{reviewer_name}（示例）",
            },
        )
        made_rows = pattern.template.rows_for(copy)
        rows["case_instance"].append(made_rows.case)
        rows["work_item"] += made_rows.work_items
        rows["case_event"] += made_rows.events
        rows["case_timer"] += made_rows.timers
        rows["case_message_wait"] += made_rows.message_waits
        if pattern.evidence is not None:
            rows["attachment"].append(
                pattern.evidence | {"id": evidence_id, "case_id": case_id, "uploaded_by": officer}
            )
        problem = dict(pattern.problem)
        users = {officer0: officer, reviewer0: reviewer}
        problem |= {
            "id": problem_id,
            "number": number,
            "unit_id": unit_id,
            "village_id": village_id,
            "case_id": case_id,
            "amount_fen": amount,
            "recovered_fen": recovered,
            "returned_fen": returned,
            "registered_by": officer,
        }
        if problem["responsible_unit_id"] in from_units:
            problem["responsible_unit_id"] = unit_id
        for key in ("void_proposed_by", "voided_by", "no_transfer_approved_by"):
            problem[key] = users.get(problem[key], problem[key])
        rows["problem"].append(problem)
    return rows
