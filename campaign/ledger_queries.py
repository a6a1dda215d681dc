"""The ledger list: filters a person can apply within what they may see."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from campaign.current import active_campaign
from campaign.models import Problem, Programme, StatCategory, Unit, User
from campaign.visibility import problem_filter
from core import paging
from core.paging import Page
from engine import workitems
from engine.models import WorkItem

PER_PAGE = 30


@dataclass
class LedgerFilters:
    unit: str = ""
    village: str = ""
    programme: str = ""
    category: str = ""
    status: str = ""
    overdue: bool = False
    q: str = ""
    # The campaign whose ledger is shown (the one chosen); none, the one in progress.
    campaign_id: int | None = None

    @classmethod
    def from_args(cls, args: Any) -> LedgerFilters:
        def text(name: str) -> str:
            return str(args.get(name, "")).strip()[:100]

        return cls(
            unit=text("unit"),
            village=text("village"),
            programme=text("programme"),
            category=text("category"),
            status=text("status"),
            overdue=args.get("overdue") == "1",
            q=text("q"),
        )


Choices = list[tuple[str, str]]  # (code, name) of each option of a filter


def programme_and_category_choices(session: Session) -> tuple[Choices, Choices]:
    """The 补贴项目 and 问题类别 a list of problems is filtered by, in the tables' order."""
    programmes = session.execute(
        select(Programme.code, Programme.name).order_by(Programme.sort_order)
    )
    categories = session.execute(
        select(StatCategory.code, StatCategory.name).order_by(StatCategory.sort_order)
    )
    return [(c, n) for c, n in programmes], [(c, n) for c, n in categories]


def village_choices(session: Session, parents: Select[tuple[int]] | set[int]) -> Choices:
    """The villages (社区) of the given townships, by code."""
    rows = session.execute(
        select(Unit.code, Unit.name)
        .where(Unit.kind == "village", Unit.parent_id.in_(parents))
        .order_by(Unit.code)
    )
    return [(c, n) for c, n in rows]


def filter_choices(session: Session, user: User, filters: LedgerFilters) -> dict[str, Choices]:
    """The ledger's filters: every programme and category; the villages of the unit chosen
    (or of the village chosen), else of the person's own townships (none for the district's
    offices until they choose one: a province has 25,000)."""
    programmes, categories = programme_and_category_choices(session)
    parents: Select[tuple[int]] | set[int] = {r.unit_id for r in user.roles}
    if filters.unit:
        parents = select(Unit.id).where(Unit.code == filters.unit)
    elif filters.village:  # a link naming a village only: its township's villages
        parents = select(Unit.id).where(
            Unit.id == select(Unit.parent_id).where(Unit.code == filters.village).scalar_subquery()
        )
    villages = village_choices(session, parents)
    if filters.village and filters.village not in {code for code, _ in villages}:
        # A village outside the unit chosen (the unit changed, the village kept): the rows
        # are filtered by it, so the select shows it chosen, not 全部村（社区） over no rows.
        kept = select(Unit.code, Unit.name).where(
            Unit.kind == "village", Unit.code == filters.village
        )
        villages += [(code, name) for code, name in session.execute(kept)]
    return {"programmes": programmes, "categories": categories, "villages": villages}


def query(session: Session, user: User, filters: LedgerFilters) -> Select[tuple[Problem]]:
    campaign_id = filters.campaign_id or active_campaign(session).id
    statement = select(Problem).where(
        Problem.campaign_id == campaign_id, problem_filter(session, user)
    )
    for code, column in ((filters.unit, Problem.unit_id), (filters.village, Problem.village_id)):
        if code:
            statement = statement.where(column.in_(select(Unit.id).where(Unit.code == code)))
    if filters.programme:
        statement = statement.where(
            Problem.programme_id.in_(
                select(Programme.id).where(Programme.code == filters.programme)
            )
        )
    if filters.category:
        statement = statement.where(
            Problem.stat_category_id.in_(
                select(StatCategory.id).where(StatCategory.code == filters.category)
            )
        )
    if filters.status:
        statement = statement.where(Problem.status == filters.status)
    if filters.overdue:
        late = select(WorkItem.case_id).where(workitems.overdue())
        statement = statement.where(Problem.case_id.in_(late))
    if filters.q:
        statement = statement.where(text_condition(filters.q))
    return statement


# Numbers are "<year>-<unit code>-<nnnn>" (campaign.registration.number_for): a search that
# begins with a year and a dash is the start of one.
_NUMBER_START = re.compile(r"\d{4}-")


def text_condition(q: str) -> ColumnElement[bool]:
    """An entry whose number or description holds the text. A text that begins like a number
    is looked for at the start of numbers, as a range of an index on PostgreSQL (migration
    0039): anywhere in them, every number of that year shares its first trigrams, and the
    trigram index handed back a township's numbers to check (54 ms of a province's page and
    as much for its count, against 0.5 ms). Descriptions are searched anywhere. `%`, `_` and
    the escape character stand for themselves (autoescape), here as in every search."""
    number = (
        func.upper(Problem.number).startswith(q.upper(), autoescape=True)
        if _NUMBER_START.match(q)
        else Problem.number.icontains(q, autoescape=True)
    )
    return or_(number, Problem.description.icontains(q, autoescape=True))


# What a page shows of each row beside its own columns, read for the whole page at once (a
# statement each) instead of one row's at a time as the page renders (42 statements for a
# page of the province's ledger); the page's own statement, and its plan, stay as they are.
ROW_NAMES = (
    selectinload(Problem.unit),
    selectinload(Problem.village),
    selectinload(Problem.programme),
    selectinload(Problem.stat_category),
)
# What the API's list gives of each row beside them (web.api.problems.problem_json).
WHOLE_ROWS = (*ROW_NAMES, selectinload(Problem.focus_item), selectinload(Problem.responsible_unit))


def page(
    session: Session,
    user: User,
    filters: LedgerFilters,
    number: int,
    per_page: int | None = None,
    load: tuple[ORMOption, ...] = ROW_NAMES,
) -> Page[Problem]:
    per_page = per_page or PER_PAGE
    statement = query(session, user, filters)
    # The newest registrations first, by id: ids are given in the order entries are
    # registered (registered_at is the same moment), and the primary key serves this order,
    # so a page of a province's ledger (a million entries) reads its 30 rows from the newest
    # end instead of sorting every entry that matches (2 s a page unfiltered).
    ordered = statement.order_by(Problem.id.desc())
    # A broad search or the whole ledger of a province would count a million rows a page.
    return paging.fetch(session, ordered, number, per_page, capped=True, load=load)
