"""A person's work: the inbox tabs, filters and counts, as plain SQL over work items joined
to the ledger (a workflow is never loaded to draw a list)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, joinedload

from campaign import ledger_queries, records
from campaign.campaign_cases import work_in_campaign
from campaign.models import (
    Clue,
    FocusItem,
    Obligation,
    Problem,
    Programme,
    StatCategory,
    Unit,
    User,
)
from core import clock, held_rows, paging
from core.days import read_day_or_none
from engine import workitems
from engine.models import Case, ProcessDefinition, WorkItem, WorkItemState

TABS = {"open": "待办", "claimed": "我已认领", "overdue": "已逾期", "done": "我已办"}
PER_PAGE = 30


@dataclass
class InboxFilters:
    programme: str = ""
    category: str = ""
    village: str = ""
    due_before: date | None = None
    q: str = ""

    @classmethod
    def from_args(cls, args: Any) -> InboxFilters:
        due = args.get("due_before") or ""
        due_before = read_day_or_none(due) if due else None
        return cls(
            args.get("programme", "").strip(),
            args.get("category", "").strip(),
            args.get("village", "").strip(),
            due_before,
            args.get("q", "").strip()[:100],
        )


@dataclass
class InboxRow:
    item: WorkItem
    subject: str
    detail: str
    unit_name: str
    problem_id: int | None = None


@dataclass
class InboxPage:
    rows: list[InboxRow]
    total: int
    page: int
    per_page: int
    # Each tab's count as a badge shows it (paging.badge_count: beyond the cap, cap + 1).
    counts: dict[str, int] = field(default_factory=dict)
    # False when `total` is a lower bound: the count stopped at paging.bound_for the page.
    exact: bool = True

    @property
    def pages(self) -> int:
        return paging.page_count(self.total, self.per_page)

    @property
    def number(self) -> int:  # as core.paging.Page names it
        return self.page


def _mine(user: User) -> Any:
    pairs = [and_(WorkItem.unit_id == r.unit_id, WorkItem.role == r.role) for r in user.roles]
    return or_(*pairs) if pairs else false()


Scope = ColumnElement[bool] | None  # campaign_cases.work_in_campaign: whose work is listed


def _base(user: User, tab: str, of_campaign: Scope) -> Select[Any]:
    """Work items of a tab of a campaign's work, from the work item table alone: joins are
    added only when a filter needs the ledger (SQLite otherwise starts the plan from the case
    table). The campaign's condition reads its own case row (correlated to the work item
    only: a filter may join the case table around it)."""
    query = select(WorkItem)
    if of_campaign is not None:
        own_case = select(Case.id).where(Case.id == WorkItem.case_id, of_campaign)
        query = query.where(exists(own_case.correlate(WorkItem)))
    if tab == "done":
        return query.where(
            WorkItem.completed_by == user.id, WorkItem.state == WorkItemState.COMPLETED.value
        )
    query = query.where(WorkItem.state == WorkItemState.OPEN.value)
    if tab == "claimed":
        return query.where(WorkItem.claimed_by == user.id)
    query = query.where(
        _mine(user), or_(WorkItem.claimed_by.is_(None), WorkItem.claimed_by == user.id)
    )
    if tab == "overdue":
        query = query.where(workitems.overdue())
    return query


def _with_problem(query: Select[Any]) -> Select[Any]:
    """The ledger entry each task is about: its case's problem, or the problem a clue was
    transferred from, so that the commission finds its clues by the problem's number, unit
    and village as everyone else finds their tasks."""
    problem_id = sql_case((Case.subject_type == "problem", Case.subject_id), else_=Clue.problem_id)
    return (
        query.join(Case, Case.id == WorkItem.case_id)
        .outerjoin(Clue, and_(Case.subject_type == "clue", Clue.id == Case.subject_id))
        .outerjoin(Problem, Problem.id == problem_id)
    )


def _report_matches(q: str) -> ColumnElement[bool]:
    """A report's task (报送: 自查自纠月报 2022-05) found as its row reads: by the report's name,
    its period, or both as one phrase ("月报 2022-05"). Each condition reads its own row of
    the task's case (correlated to the case the query joined)."""

    def name_has(text: str) -> ColumnElement[bool]:
        # The diagram's name (自查自纠月报) or the report's own (阶段性工作总结, which the row
        # shows for a diagram two reports share).
        return or_(
            exists(
                select(ProcessDefinition.id).where(
                    ProcessDefinition.id == Case.definition_id,
                    ProcessDefinition.name.icontains(text, autoescape=True),
                )
            ),
            exists(
                select(Obligation.id).where(
                    Obligation.id == Case.subject_id,
                    Obligation.report_name.icontains(text, autoescape=True),
                )
            ),
        )

    def period_has(text: str) -> ColumnElement[bool]:
        return exists(
            select(Obligation.id).where(
                Obligation.id == Case.subject_id, Obligation.period.icontains(text, autoescape=True)
            )
        )

    words = q.split()
    if len(words) > 1:  # the name's words, then the period
        found = and_(name_has(" ".join(words[:-1])), period_has(words[-1]))
    else:
        found = or_(name_has(q), period_has(q))
    return and_(Case.subject_type == "obligation", found)


def _filtered(query: Select[Any], filters: InboxFilters) -> Select[Any]:
    if any((filters.programme, filters.category, filters.village, filters.q)):
        query = _with_problem(query)
    if filters.programme:
        query = query.where(
            Problem.programme_id.in_(
                select(Programme.id).where(Programme.code == filters.programme)
            )
        )
    if filters.category:
        query = query.where(
            Problem.stat_category_id.in_(
                select(StatCategory.id).where(StatCategory.code == filters.category)
            )
        )
    if filters.village:
        query = query.where(
            Problem.village_id.in_(select(Unit.id).where(Unit.code == filters.village))
        )
    if filters.due_before:
        end = datetime.combine(filters.due_before, time.max, clock.LOCAL_TZ)
        query = query.where(WorkItem.due_at <= end)
    if filters.q:
        query = query.where(
            or_(
                *(
                    column.icontains(filters.q, autoescape=True)
                    for column in (
                        Problem.number,
                        Problem.description,
                        WorkItem.title,
                        Clue.number,
                        Clue.summary,
                    )
                ),
                _report_matches(filters.q),
            )
        )
    return query


def _count(session: Session, query: Select[Any]) -> int:
    # The office of a province has 190,000 open items: a badge counts up to the cap.
    return paging.badge_count(session, query)


def counts(
    session: Session, user: User, known: dict[str, int], of_campaign: Scope
) -> dict[str, int]:
    """The tabs' counts of a campaign's work; `known` holds those the caller has counted."""
    return {
        tab: known[tab] if tab in known else _count(session, _base(user, tab, of_campaign))
        for tab in ("open", "claimed", "overdue")
    }


def open_count(session: Session, user: User, campaign_id: int | None = None) -> int:
    """What the menu shows beside 我的待办: the open tab's count alone (the office of a
    province has 190,000 open items; every page pays for this count)."""
    return _count(session, _base(user, "open", work_in_campaign(session, campaign_id)))


def page(
    session: Session,
    user: User,
    tab: str,
    filters: InboxFilters,
    number: int = 1,
    per_page: int = PER_PAGE,
    campaign_id: int | None = None,
    *,
    with_counts: bool = True,
    with_details: bool = True,
) -> InboxPage:
    """A page of a tab of the person's work in a campaign (None: the one in progress), with
    every tab's count unless `with_counts` is False (the API's list has no tabs), and each
    row's unit and entry number unless `with_details` is False (the API's list returns
    neither: a statement or two fewer on the request an API client sends most)."""
    tab = tab if tab in TABS else "open"
    of_campaign = work_in_campaign(session, campaign_id)
    query = _filtered(_base(user, tab, of_campaign), filters)
    counted = paging.count_up_to(session, query, paging.bound_for(number, per_page))
    order = (
        [WorkItem.completed_at.desc()]
        if tab == "done"
        else [WorkItem.due_at.asc().nulls_last(), WorkItem.id]
    )
    window = paging.window(query.order_by(*order), number, per_page)
    items = list(session.scalars(window.options(joinedload(WorkItem.case))))
    # An unfiltered tab's total is its count: not counted twice.
    known = {}
    if tab != "done" and filters == InboxFilters():
        known[tab] = counted.total if counted.exact else counted.total + 1
    return InboxPage(
        describe(session, items, with_details=with_details),
        counted.total,
        number,
        per_page,
        counts(session, user, known, of_campaign) if with_counts else {},
        counted.exact,
    )


def describe(
    session: Session, items: list[WorkItem], *, with_details: bool = True
) -> list[InboxRow]:
    """What each task is about, from the record its case serves (one query per kind); with
    its unit's name and, for a record that came from a ledger entry, the entry's number,
    unless `with_details` is False."""
    cases = held_rows.by_ids(session, Case, {i.case_id for i in items})
    subjects = records.records_of(session, cases.values())
    unit_ids = {i.unit_id for i in items if i.unit_id is not None} if with_details else set()
    units = (
        dict(
            session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).tuples().all()
        )
        if unit_ids
        else {}
    )
    described = []
    for item in items:
        case = cases[item.case_id]
        kind, record = records.kind_of(case), subjects.get(case.id)
        if kind is not None and record is not None:
            subject, detail = kind.describe(record, case)
            problem_id = kind.ledger_entry(record)
        else:  # the process's name: read only then (a list of entries never needs it)
            subject, detail, problem_id = case.definition.name, "", None
        described.append((item, kind, subject, detail, problem_id))
    # A record of another kind that came from a ledger entry (a clue) names that entry, so
    # that whoever works it sees, and finds, which problem it is about.
    wanted = (
        {p for _, kind, _, _, p in described if p is not None and kind and kind.name != "problem"}
        if with_details
        else set()
    )
    numbers = (
        dict(
            session.execute(select(Problem.id, Problem.number).where(Problem.id.in_(wanted)))
            .tuples()
            .all()
        )
        if wanted
        else {}
    )
    return [
        InboxRow(
            item,
            subject,
            f"问题 {numbers[problem_id]} · {detail}" if problem_id in numbers else detail,
            units.get(item.unit_id or 0, ""),
            problem_id,
        )
        for item, _, subject, detail, problem_id in described
    ]


def filter_choices(session: Session, user: User) -> dict[str, list[tuple[str, str]]]:
    programmes, categories = ledger_queries.programme_and_category_choices(session)
    villages = ledger_queries.village_choices(session, {r.unit_id for r in user.roles})
    focus = [(f.code, f.name) for f in session.scalars(select(FocusItem).order_by(FocusItem.code))]
    return {
        "programmes": programmes,
        "categories": categories,
        "villages": villages,
        "focus_items": focus,
    }
