"""The records a case serves, registered once per kind.

A case is started for one record: a problem of the ledger, a clue transferred to the
discipline commission, a report a unit owes, a key check of a township, a report from
the public (群众举报), a 数据比对 疑点, a unit's part of an order of 专项督办, an unannounced
visit (明察暗访), a decision of 问责, a follow-up visit (效果评估). Each kind says here how it is
found from a case (the case's subject), who may see it, what it is called in lists and which
ledger entry a page about it links to, how its status follows its case, and what a completed
task writes into it. Nothing else in the product branches on the kind of record: a new kind is
one more entry below."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign import (
    accountability,
    clues,
    evaluations,
    inspections,
    key_check_revisits,
    ledger_effects,
    obligations,
    problem_rules,
    problems,
    spot_checks,
    supervision,
    tip_offs,
    visibility,
)
from campaign.comparison import verification
from campaign.models import (
    Accountability,
    Clue,
    Discrepancy,
    Evaluation,
    Inspection,
    KeyCheck,
    Obligation,
    Problem,
    SupervisionPart,
    TipOff,
    User,
)
from core import held_rows
from engine.cases import Completion
from engine.host import EngineHost
from engine.models import Case, CaseStatus, WorkItem


@dataclass(frozen=True)
class RecordKind:
    name: str  # the case's subject_type
    model: type[Any]
    label: str
    describe: Callable[[Any, Case], tuple[str, str]]  # (title, detail) in lists
    ledger_entry: Callable[[Any], int | None]  # the problem a page about it links to
    may_see: Callable[[Session, User, Any], bool]  # beyond working one of its tasks
    follow: Callable[[Session, Any, Case], None]  # after every change of its case
    take_up: Callable[[Session, EngineHost, User, Any, Completion], None]  # a completed task
    # Refuses a completion its form alone cannot judge (who, when): raises or returns.
    check_before: Callable[[Session, User, Any, WorkItem, Mapping[str, Any]], None] = (
        lambda *_args: None
    )
    # How a notice names it, when "<label> <title>" would not say which one (a month's report).
    named: Callable[[Any, Case], str] | None = None

    def name_of(self, record: Any, case: Case) -> str:
        if self.named is not None:
            return self.named(record, case)
        return self.name_for(self.describe(record, case)[0])

    def name_for(self, title: str) -> str:
        """The name of a record of this kind from its title (a number), for who already
        holds the title and not the record: 问题 2026-QSZ-0001."""
        return f"{self.label} {title}"


def _problem_completed(
    session: Session, host: EngineHost, user: User, problem: Problem, done: Completion
) -> None:
    ledger_effects.apply(session, problem, done.item.form_key, done.data, user)
    if done.data.get("suspected_violation"):
        clues.transfer(
            session, host, user, problem, done.data["clue_summary"], from_step=done.item.title
        )


def _report_name(report: Obligation, case: Case) -> str:
    """A report by its diagram's short name (自查自纠月报), unless that diagram serves more
    than one report: then by the report's own (阶段性工作总结, 年度工作总结, not 工作总结 twice)."""
    if report.report_name and case.definition.key in obligations.SHARED_PROCESSES:
        return report.report_name
    return case.definition.name


def _follow_subject(_session: Session, record: Any, case: Case) -> None:
    record.case_id = case.id


def _key_check_follows(session: Session, check: KeyCheck, case: Case) -> None:
    check.case_id = case.id
    if case.status == CaseStatus.COMPLETED.value:
        check.status = "done"


def _district_only(_session: Session, user: User, _record: Any) -> bool:
    return visibility.sees_whole_district(user)


def _nobody_else(_session: Session, _user: User, _record: Any) -> bool:
    return False


KINDS: dict[str, RecordKind] = {
    kind.name: kind
    for kind in (
        RecordKind(
            name="problem",
            model=Problem,
            label="问题",
            describe=lambda p, _case: (p.number, p.description[:60]),
            ledger_entry=lambda p: p.id,
            may_see=visibility.may_see_problem,
            follow=problems.follow_case,
            take_up=_problem_completed,
            check_before=problem_rules.check_before,
        ),
        RecordKind(
            name="clue",
            model=Clue,
            label="问题线索",
            describe=lambda c, _case: (c.number, c.summary[:60]),
            ledger_entry=lambda c: c.problem_id,
            may_see=_nobody_else,  # clues are seen by those who work them
            follow=_follow_subject,
            take_up=lambda _s, _h, _u, clue, done: clues.apply_outcome(
                clue, done.item.form_key, done.data
            ),
            check_before=clues.check_receipt,
        ),
        RecordKind(
            name="obligation",
            model=Obligation,
            label="报告",
            describe=lambda o, case: (_report_name(o, case), f"{o.period} · 截止 {o.due_on}"),
            ledger_entry=lambda _o: None,
            may_see=_district_only,
            follow=_follow_subject,
            take_up=lambda session, _h, user, report, done: obligations.apply(
                session, report, done.item.form_key, done.data, user
            ),
            check_before=spot_checks.check_before,
            named=lambda o, case: f"{_report_name(o, case)}（{o.period}）",
        ),
        RecordKind(
            name="key_check",
            model=KeyCheck,
            label="重点检查",
            describe=lambda k, _case: ("重点检查", k.township.name),
            ledger_entry=lambda _k: None,
            may_see=_district_only,
            follow=_key_check_follows,
            take_up=lambda _s, _h, _u, check, done: key_check_revisits.apply_report(
                check, done.item.form_key, done.data
            ),
            named=lambda k, _case: f"重点检查（{k.township.name}）",
        ),
        RecordKind(
            name="tip_off",
            model=TipOff,
            label="群众举报",
            describe=lambda t, _case: (t.number, f"{t.place} · {t.programme.name}"),
            ledger_entry=lambda t: t.problem_id,
            may_see=tip_offs.may_see,
            follow=tip_offs.follow_case,
            take_up=lambda session, host, user, tip_off, done: tip_offs.take_up(
                session, host, user, tip_off, done.item.form_key, done.data
            ),
            check_before=tip_offs.check_before,
        ),
        RecordKind(
            name="discrepancy",
            model=Discrepancy,
            label="数据比对疑点",
            describe=verification.describe,
            ledger_entry=lambda d: d.problem_id,
            may_see=verification.may_see,
            follow=verification.follow_case,
            take_up=lambda session, host, user, found, done: verification.take_up(
                session, host, user, found, done.item.form_key, done.data
            ),
            check_before=verification.check_before,
        ),
        RecordKind(
            name="supervision_part",
            model=SupervisionPart,
            label="督办事项",
            describe=lambda p, _case: (p.supervision.number, p.supervision.summary[:60]),
            ledger_entry=lambda _p: None,
            may_see=supervision.may_see,
            follow=supervision.follow_case,
            take_up=lambda session, _h, user, part, done: supervision.take_up(
                session, user, part, done.item.form_key, done.data
            ),
            named=lambda p, _case: f"督办事项 {p.supervision.number}（{p.unit.name}）",
        ),
        RecordKind(
            name="inspection",
            model=Inspection,
            label="明察暗访",
            describe=lambda v, _case: (v.number, f"{v.visited_on} · {v.places[:40]}"),
            ledger_entry=lambda _v: None,
            may_see=inspections.may_see,
            follow=inspections.follow_case,
            take_up=lambda session, host, user, visit, done: inspections.take_up(
                session, host, user, visit, done.item.form_key, done.data
            ),
        ),
        RecordKind(
            name="accountability",
            model=Accountability,
            label="问责",
            describe=lambda a, _case: (a.number, f"{a.target} · {a.conduct_label}"),
            ledger_entry=lambda _a: None,
            may_see=accountability.may_see,
            follow=accountability.follow_case,
            take_up=lambda session, _h, _u, decision, done: accountability.take_up(
                session, decision, done.item.form_key, done.data
            ),
        ),
        RecordKind(
            name="evaluation",
            model=Evaluation,
            label="回访",
            describe=lambda e, _case: (e.problem.number, f"{e.method_label} · 期限 {e.due_on}"),
            ledger_entry=lambda e: e.problem_id,
            may_see=evaluations.may_see,
            follow=evaluations.follow_case,
            take_up=lambda _s, _h, _u, evaluation, done: evaluations.take_up(
                evaluation, done.item.form_key, done.data
            ),
            check_before=evaluations.check_before,
            named=lambda e, _case: f"回访（问题 {e.problem.number}）",
        ),
    )
}


def kind_of(case: Case) -> RecordKind | None:
    return KINDS.get(case.subject_type)


_HELD = "ykt.records_held"  # session.info: the last records read, kept from the collector


def record_of(session: Session, case: Case) -> Any | None:
    kind = kind_of(case)
    if kind is None or case.subject_id is None:
        return None
    record = session.get(kind.model, case.subject_id)
    # The session holds its objects weakly: a record read before the engine's step and asked
    # for again after it would be read from the database twice. A few are held (not all: an
    # import reads a hundred thousand).
    held: deque[Any] = session.info.setdefault(_HELD, deque(maxlen=4))
    if record is not None and (not held or held[-1] is not record):
        held.append(record)
    return record


def records_of(session: Session, cases: Iterable[Case]) -> dict[int, Any]:
    """The record of each case (by case id), one query per kind."""
    wanted: dict[str, dict[int, list[int]]] = {}
    for case in cases:
        if case.subject_type in KINDS and case.subject_id is not None:
            wanted.setdefault(case.subject_type, {}).setdefault(case.subject_id, []).append(case.id)
    found: dict[int, Any] = {}
    for name, by_subject in wanted.items():
        for record in held_rows.by_ids(session, KINDS[name].model, by_subject).values():
            for case_id in by_subject[record.id]:
                found[case_id] = record
    return found


def follow(session: Session, case: Case) -> None:
    """Bring the case's record up to date after the case changed (the engine's call)."""
    kind, record = kind_of(case), record_of(session, case)
    if kind is not None and record is not None:
        kind.follow(session, record, case)


def check_before(session: Session, user: User, item: WorkItem, data: Mapping[str, Any]) -> None:
    """The rules of the item's record about completing it (RecordKind.check_before)."""
    kind, record = kind_of(item.case), record_of(session, item.case)
    if kind is not None and record is not None:
        kind.check_before(session, user, record, item, data)


def take_up(session: Session, host: EngineHost, user: User, done: Completion) -> None:
    """What the completed task decided goes into the case's record."""
    kind, record = kind_of(done.case), record_of(session, done.case)
    if kind is not None and record is not None:
        kind.take_up(session, host, user, record, done)


def may_see_item(session: Session, user: User, item: WorkItem) -> bool:
    """Whether the person may see a task's case: at once when the task itself is theirs to
    work or was done by them (one of the case's tasks), else as `may_see_case` decides."""
    return item.id in items_seen(session, user, [item])


def items_seen(session: Session, user: User, items: list[WorkItem]) -> set[int]:
    """The ids of the tasks whose cases the person may see (`may_see_item` for each), read
    for them all at once: a list of notices asked task by task ran two statements a task."""
    pairs = {(r.unit_id, r.role) for r in user.roles}
    seen = {i.id for i in items if i.completed_by == user.id or (i.unit_id, i.role) in pairs}
    cases = cases_seen(session, user, {i.case_id for i in items if i.id not in seen})
    return seen | {i.id for i in items if i.case_id in cases}


def may_see_case(session: Session, user: User, case_id: int) -> bool:
    """A case is visible to whoever may work or has worked one of its tasks, and to anyone
    its record's kind lets see it."""
    return case_id in cases_seen(session, user, {case_id})


def cases_seen(session: Session, user: User, case_ids: set[int]) -> set[int]:
    """Which of the cases the person may see (`may_see_case`): one statement for their
    tasks, then the records of the cases none of whose tasks is the person's (a statement
    a kind), each as its kind decides."""
    if not case_ids:
        return set()
    pairs = {(r.unit_id, r.role) for r in user.roles}
    seen: set[int] = set()
    for case_id, unit_id, role, done_by in session.execute(
        select(WorkItem.case_id, WorkItem.unit_id, WorkItem.role, WorkItem.completed_by).where(
            WorkItem.case_id.in_(case_ids)
        )
    ):
        if (unit_id, role) in pairs or done_by == user.id:
            seen.add(case_id)
    rest = held_rows.by_ids(session, Case, case_ids - seen)
    held = records_of(session, rest.values())
    for case_id, case in rest.items():
        kind, record = kind_of(case), held.get(case_id)
        if kind is not None and record is not None and kind.may_see(session, user, record):
            seen.add(case_id)
    return seen
