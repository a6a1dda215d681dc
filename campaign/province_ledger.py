"""The demo province's ledger: a million entries in every lifecycle stage, made from real runs.

For each stage and each of the demo's stories, one entry is registered and taken to that
stage through the real services (problems.register, tasks.complete) in the province's first
new township. Each of those cases is then the template of its copies (engine.case_copies):
the same stored workflow, work items, events and timers, with fresh task ids and the copy's
own entry id, number, village, township and money put in. Money is the template's times 1 to
4, every money field alike, so each copy keeps its category's rules. The entries' rows are
written to match: the ledger's figures are those of the cases, and 附件2/附件3 add them up."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import files, numbering, problems, tasks
from campaign.demo_cases import DEMO_PDF, STORIES, Story
from campaign.models import Attachment, Problem, User
from campaign.models.ledger import ProblemStatus
from campaign.province import Province
from campaign.registration import number_for, registration_year
from campaign.workflow_host import CampaignHost
from core import bulk, clock
from engine.case_copies import CaseTemplate, Copy
from engine.models import Case, CaseEvent, MessageWait, Timer, WorkItem

# How many entries of a thousand are at each stage: a campaign late in its course, most of it
# closed; with these shares a million entries have about ten million task records.
STAGES: dict[ProblemStatus, int] = {
    ProblemStatus.REVIEWING: 50,
    ProblemStatus.CORRECTING: 20,
    ProblemStatus.RECTIFYING: 120,
    ProblemStatus.EXTENSION: 30,
    ProblemStatus.SIGNOFF: 80,
    ProblemStatus.DISCLOSING: 60,
    ProblemStatus.CLOSING: 60,
    ProblemStatus.CLOSED: 520,
    ProblemStatus.VOIDING: 20,
    ProblemStatus.VOIDED: 40,
}
ENTRIES = 1_000_000
# Group (三) entries close only with a clue transferred or a reason not to (campaign.problems).
_NO_TRANSFER = "经核实系工作疏漏，无侵占故意，已全额追回并发放到户，由镇纪委进行提醒谈话"
BATCH = 5000

Say = Callable[[str], None]


@dataclass(frozen=True)
class _Pattern:
    stage: ProblemStatus
    problem: dict[str, Any]  # the template entry's columns
    template: CaseTemplate
    evidence: dict[str, Any] | None  # the template's evidence row, copied per entry
    money: tuple[int, int, int]  # amount, recovered, returned (分)


def _stage_sequence() -> list[ProblemStatus]:
    """A thousand stages in a fixed interleaved order, so every stretch of entries (and
    every township) has each stage in about its share."""
    slots: list[tuple[float, int, ProblemStatus]] = []
    for order, (stage, share) in enumerate(STAGES.items()):
        slots += [((n + 0.5) / share, order, stage) for n in range(share)]
    return [stage for _at, _order, stage in sorted(slots)]


def _person(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    assert user is not None
    return user


def _open_item(session: Session, problem: Problem) -> int:
    return session.scalars(
        select(WorkItem.id).where(WorkItem.case_id == problem.case_id, WorkItem.state == "open")
    ).one()


def _steps(stage: ProblemStatus, story: Story, township: str) -> list[tuple[str, dict[str, Any]]]:
    """(who, data) of each task from registration to the stage: who is "officer",
    "reviewer" or "office"."""
    today = clock.local_now().date()
    review: dict[str, Any] = {
        "review_decision": "approve",
        "responsible_unit": township,
        "responsible_person": "王主任",
        "rectify_type": "deadline",
        "measures": "追回或补发资金，完善发放台账",
        "deadline": (today + timedelta(days=90)).isoformat(),
    }
    if stage is ProblemStatus.CORRECTING:
        return [("reviewer", {"review_decision": "return", "review_return_reason": "金额需核实"})]
    if stage in (ProblemStatus.VOIDING, ProblemStatus.VOIDED):
        steps: list[tuple[str, dict[str, Any]]] = [
            ("reviewer", {"review_decision": "void", "void_reason": "经入户核实不属实"})
        ]
        if stage is ProblemStatus.VOIDED:
            steps.append(("office", {"void_decision": "approve", "void_opinion": "同意"}))
        return steps
    order = list(STAGES)
    steps = [] if stage is ProblemStatus.REVIEWING else [("reviewer", review)]
    if stage is ProblemStatus.EXTENSION:
        extend: dict[str, Any] = {
            "action": "extend",
            "extension_reason": "农户外出务工，无法当面退还",
            "requested_deadline": (today + timedelta(days=120)).isoformat(),
        }
        return [*steps, ("officer", extend)]
    if order.index(stage) >= order.index(ProblemStatus.SIGNOFF):
        returned = story.returned if story.returned != "0" else story.amount
        submit: dict[str, Any] = {
            "action": "submit",
            "measures_taken": "已追回并足额发放到户",
            "amount_recovered": story.recovered,
            "amount_returned": returned,
            "no_transfer_reason": story.no_transfer_reason or _NO_TRANSFER,
            "completed_on": today.isoformat(),
            "evidence": [],
        }
        steps.append(("officer", submit))
    if order.index(stage) >= order.index(ProblemStatus.DISCLOSING):
        signoff: dict[str, Any] = {"signoff_decision": "approve", "no_transfer_approved": True}
        steps.append(("office", signoff))
    if order.index(stage) >= order.index(ProblemStatus.CLOSING):
        public: dict[str, Any] = {
            "public_text": story.description + "。已整改到位，资金已足额发放。"
        }
        steps += [("officer", public), ("office", {"disclosure_decision": "approve"})]
    if stage is ProblemStatus.CLOSED:
        steps.append(("office", {"closing_note": "整改到位，予以销号"}))
    return steps


def _run(
    session: Session,
    host: CampaignHost,
    data_dir: Path,
    people: dict[str, User],
    township: str,
    village: str,
    stage: ProblemStatus,
    story: Story,
) -> Problem:
    """One entry taken to `stage` through the real services."""
    officer = people["officer"]
    problem = problems.register(
        session,
        host,
        officer,
        township,
        {
            "source": "self_inspection",
            "village": village,
            "programme": story.programme,
            "focus_item": story.focus,
            "stat_category": story.category,
            "description": story.description,
            "amount": story.amount,
            "cards": story.cards,
            "households": "3",
            "persons": "6",
            "discovered_on": clock.local_now().date().isoformat(),
        },
    )
    for who, data in _steps(stage, story, township):
        if data.get("action") == "submit":
            evidence = files.store(
                session,
                data_dir,
                people[who],
                problem.case_id or 0,
                "整改佐证（示例）.pdf",
                io.BytesIO(DEMO_PDF),
            )
            data = {**data, "evidence": [str(evidence.id)]}
        tasks.complete(session, host, people[who], _open_item(session, problem), data)
    session.flush()
    if problem.status != stage.value:
        raise RuntimeError(f"示例问题未到达“{stage.label}”：{problem.status}")
    return problem


def _tokens(problem: Problem, village: str, township: str, evidence: int | None) -> list[str]:
    """The pieces of the case's serialized data that differ between copies."""
    return [
        f'"problem_id": {problem.id}',
        json.dumps(problem.number),
        f'"village": "{village}"',
        f'"responsible_unit": "{township}"',
        f'"evidence": [{evidence or 0}]',
        f'"amount": {problem.amount_fen}',
        f'"amount_recovered": {problem.recovered_fen}',
        f'"amount_returned": {problem.returned_fen}',
    ]


def make_patterns(
    session: Session, host: CampaignHost, data_dir: Path, made: Province, say: Say
) -> list[list[_Pattern]]:
    """Per stage (in STAGES' order), one pattern per story, from real runs."""
    township = next(iter(made.township_ids))
    village = made.villages[township][0][0]
    people = {
        "officer": _person(session, made.officers[township][0]),
        "reviewer": _person(session, made.reviewers[township][0]),
        "office": session.scalars(select(User).where(User.username == "ldxz_ban")).one(),
    }
    patterns: list[list[_Pattern]] = []
    for stage in STAGES:
        these = []
        for story in STORIES:
            problem = _run(session, host, data_dir, people, township, village, stage, story)
            evidence = session.scalars(
                select(Attachment).where(Attachment.case_id == problem.case_id)
            ).first()
            template = CaseTemplate(
                session,
                problem.case_id or 0,
                _tokens(problem, village, township, evidence.id if evidence else None),
            )
            _check_template(template, township, village)
            columns = {
                c.key: getattr(problem, c.key) for c in Problem.__table__.columns if c.key != "id"
            }
            copied = None
            if evidence is not None:
                copied = {
                    c.key: getattr(evidence, c.key)
                    for c in Attachment.__table__.columns
                    if c.key not in ("id", "case_id")
                }
            money = (problem.amount_fen, problem.recovered_fen, problem.returned_fen)
            these.append(_Pattern(stage, columns, template, copied, money))
        patterns.append(these)
        say(f"模板：{stage.label} {len(these)} 个（真实流程运行）")
    return patterns


def _check_template(template: CaseTemplate, township: str, village: str) -> None:
    """Nothing of the template's own entry may be left in a copy's text."""
    texts = [template.state.text] + [layout.text for layout, _ in template.events]
    for text in texts:
        if township in text or village in text:
            raise RuntimeError(f"模板中仍有未替换的单位代码：{township}")


def build_ledger(
    session: Session,
    made: Province,
    patterns: list[list[_Pattern]],
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
    patterns: list[list[_Pattern]],
) -> Iterator[tuple[int, str, _Pattern]]:
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
    plan: list[tuple[int, str, _Pattern]],
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
