"""Choice lists that come from the database, named so form definitions can refer to them.

Values are stable codes (unit codes, programme codes, category codes), never row ids, so the
same values work in forms, the API and Excel imports."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from campaign import org
from campaign.models import Campaign, FocusItem, Obligation, Programme, StatCategory, Unit
from campaign.models.org import UnitKind
from core import clock
from core.errors import InvalidInput
from core.numbers import fits, row_id
from engine import workitems
from engine.host import CaseContext
from engine.models import Case, ProcessDefinition, WorkItem
from forms import registry
from forms.definition import Form, SubmissionInvalid
from forms.fields import is_empty

Options = list[tuple[str, str]]


def _code_and_name(session: Session, statement: Select[tuple[str, str]]) -> Options:
    """A list read as its codes and names only: a province's lists run to 1,300 units (and
    25,000 villages), whose objects took 60 ms of a task page to build and then collect."""
    return [(code, name) for code, name in session.execute(statement)]


def _villages(session: Session, context: CaseContext, data: Mapping[str, Any]) -> Options:
    """Villages of the case's own unit: a village outside the township is not a choice."""
    return _code_and_name(
        session,
        select(Unit.code, Unit.name)
        .where(
            Unit.parent_id == context.owning_unit_id,
            Unit.kind == UnitKind.VILLAGE.value,
            Unit.active.is_(True),
        )
        .order_by(Unit.sort_order, Unit.code),
    )


def _programmes(session: Session, context: CaseContext, data: Mapping[str, Any]) -> Options:
    return _code_and_name(
        session,
        select(Programme.code, Programme.name)
        .join(Campaign)
        .where(Campaign.active.is_(True), Programme.active.is_(True))
        .order_by(Programme.sort_order),
    )


def _focus_items(session: Session, context: CaseContext, data: Mapping[str, Any]) -> Options:
    rows = session.execute(
        select(FocusItem.code, FocusItem.name).order_by(FocusItem.group_no, FocusItem.item_no)
    )
    return [(code, f"{code} {name}") for code, name in rows]


def _stat_categories(session: Session, context: CaseContext, data: Mapping[str, Any]) -> Options:
    return _code_and_name(
        session, select(StatCategory.code, StatCategory.name).order_by(StatCategory.sort_order)
    )


_RESPONSIBLE_KINDS = [UnitKind.BUREAU, UnitKind.OFFICE, UnitKind.DEPARTMENT, UnitKind.TOWNSHIP]


def _responsible_units(session: Session, context: CaseContext, data: Mapping[str, Any]) -> Options:
    return _code_and_name(
        session,
        select(Unit.code, Unit.name)
        .where(Unit.kind.in_([k.value for k in _RESPONSIBLE_KINDS]), Unit.active.is_(True))
        .order_by(Unit.sort_order, Unit.code),
    )


def _responsible_unit_among(session: Session, code: str) -> Options:
    """The responsible unit chosen, if it may be one. It is the unit the next task goes to,
    so the session keeps it by its code (org.unit_by_code then needs no statement)."""
    unit = session.scalar(
        select(Unit).where(
            Unit.code == code,
            Unit.kind.in_([k.value for k in _RESPONSIBLE_KINDS]),
            Unit.active.is_(True),
        )
    )
    if unit is None:
        return []
    org.remember_by_code(session, unit)
    return [(unit.code, unit.name)]


def _inspection_teams(session: Session, context: CaseContext, data: Mapping[str, Any]) -> Options:
    return _code_and_name(
        session,
        select(Unit.code, Unit.name)
        .where(Unit.kind == UnitKind.INSPECTION_TEAM.value, Unit.active.is_(True))
        .order_by(Unit.code),
    )


def _townships(session: Session, context: CaseContext, data: Mapping[str, Any]) -> Options:
    return _code_and_name(
        session,
        select(Unit.code, Unit.name)
        .where(Unit.kind == UnitKind.TOWNSHIP.value, Unit.active.is_(True))
        .order_by(Unit.sort_order, Unit.code),
    )


def _township_villages(session: Session, context: CaseContext, data: Mapping[str, Any]) -> Options:
    """Villages named with their township, for a form where the township is chosen beside
    them (a report from the public): once a township is chosen, only its villages."""
    township = aliased(Unit)
    statement = (
        select(Unit.code, township.name, Unit.name)
        .join(township, township.id == Unit.parent_id)
        .where(
            Unit.kind == UnitKind.VILLAGE.value,
            Unit.active.is_(True),
            township.kind == UnitKind.TOWNSHIP.value,
            township.active.is_(True),
        )
        .order_by(township.sort_order, township.code, Unit.sort_order, Unit.code)
    )
    chosen = data.get("township")
    if chosen and not isinstance(chosen, str):
        return []  # a number or a list names no township (a code of digits is still text)
    if chosen:
        statement = statement.where(township.code == chosen)
    return [(code, f"{town} · {name}") for code, town, name in session.execute(statement)]


def _ledger_units(session: Session, context: CaseContext, data: Mapping[str, Any]) -> Options:
    """Units that keep a ledger (townships and departments): where a report is sent to be
    verified, so that what is found true is registered in that unit's ledger."""
    kinds = [UnitKind.TOWNSHIP.value, UnitKind.DEPARTMENT.value]
    return _code_and_name(
        session,
        select(Unit.code, Unit.name)
        .where(Unit.kind.in_(kinds), Unit.active.is_(True))
        .order_by(Unit.sort_order, Unit.code),
    )


def _chosen_unit(session: Session, data: Mapping[str, Any]) -> Unit | None:
    code = data.get("unit")
    if not isinstance(code, str) or not code:
        return None
    return session.scalar(select(Unit).where(Unit.code == code))


# A form's page lists a unit's most overdue tasks up to this many; any other overdue task of
# the unit, named by the API or the command line, is checked on its own row, up to
# OVERDUE_ITEMS_NAMED of them (the form refuses what was not found).
OVERDUE_ITEMS_LISTED = 500
OVERDUE_ITEMS_NAMED = 500


def _overdue_items(session: Session, _context: CaseContext, data: Mapping[str, Any]) -> Options:
    """The chosen unit's tasks overdue now (the one rule), most overdue first: what a 问责
    may rest on. None until a unit is chosen, so another unit's task is never a choice."""
    unit = _chosen_unit(session, data)
    if unit is None:
        return []
    now = clock.now()
    query = (
        select(WorkItem.id, WorkItem.title, WorkItem.due_at, ProcessDefinition.name)
        .join(Case, Case.id == WorkItem.case_id)
        .join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
        .where(workitems.overdue(now), WorkItem.unit_id == unit.id)
    )
    rows = list(
        session.execute(query.order_by(WorkItem.due_at, WorkItem.id).limit(OVERDUE_ITEMS_LISTED))
    )
    listed = {row[0] for row in rows}
    # The submitted ids are read under the source's own name: the field that offers it
    # (accountability_propose's) bears that name.
    beyond = sorted(_row_ids(data.get("overdue_items")) - listed)[:OVERDUE_ITEMS_NAMED]
    if beyond:
        rows += session.execute(query.where(WorkItem.id.in_(beyond)).order_by(WorkItem.id))
    return [
        (str(item_id), f"{process} · {title} · 逾期 {max((now - due).days, 0) + 1} 天")
        for item_id, title, due, process in rows
    ]


def _row_ids(raw: Any) -> set[int]:
    """The rows a submitted choice names, read as the form reads it (one value or a list, of
    text or whole numbers); anything that names no row is left for the form to refuse."""
    values = raw if isinstance(raw, list) else [raw]
    texts = [
        str(v).strip()
        for v in values
        if isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool) and fits(v))
    ]
    return {found for text in texts if (found := row_id(text)) is not None}


def _returned_reports(session: Session, _context: CaseContext, data: Mapping[str, Any]) -> Options:
    """The chosen unit's reports the office returned at least once (报送管理)."""
    unit = _chosen_unit(session, data)
    if unit is None:
        return []
    rows = session.execute(
        select(Obligation.id, Obligation.period, Obligation.times_returned, ProcessDefinition.name)
        .join(Case, Case.id == Obligation.case_id)
        .join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
        .where(Obligation.unit_id == unit.id, Obligation.times_returned > 0)
        .order_by(Obligation.due_on, Obligation.id)
    )
    return [
        (str(report_id), f"{name}（{period}）· 退回 {times} 次")
        for report_id, period, times, name in rows
    ]


SOURCES: dict[str, Callable[[Session, CaseContext, Mapping[str, Any]], Options]] = {
    "villages": _villages,
    "programmes": _programmes,
    "focus_items": _focus_items,
    "stat_categories": _stat_categories,
    "responsible_units": _responsible_units,
    "inspection_teams": _inspection_teams,
    "townships": _townships,
    "township_villages": _township_villages,
    "ledger_units": _ledger_units,
    "overdue_items": _overdue_items,
    "returned_reports": _returned_reports,
}

# Sources a form's page fetches again when the field they depend on changes (a form field's
# `depends_on`), read without a login since the portal's 我要举报 has one: source -> the
# field whose value narrows them. Without that value they answer with nothing.
DEPENDENT_SOURCES = {"township_villages": "township"}

# Sources whose check of one submitted value reads only that value's row: code -> choices.
NARROWED: dict[str, Callable[[Session, str], Options]] = {
    "responsible_units": _responsible_unit_among,
}


def options(
    session: Session,
    source: str,
    context: CaseContext,
    data: Mapping[str, Any],
    wanted: str | None = None,
) -> Options:
    """The choices of a source for a form; with `wanted` (a submitted value being checked),
    those a source can narrow to that value (the others answer with all their choices)."""
    try:
        provider = SOURCES[source]
    except KeyError:
        raise ValueError(f"unknown choice source {source!r}") from None
    narrowed = NARROWED.get(source)
    if wanted is not None and narrowed is not None:
        return narrowed(session, wanted)
    return provider(session, context, data)


def form_options(
    session: Session, form: Form, context: CaseContext, values: Mapping[str, Any]
) -> dict[str, Options]:
    """The choices of every field of a form with a source, for its page. A field that
    depends on another (the villages of the township chosen) has none until that one has a
    value: a province's 25,000 villages are not sent to be filtered in the browser."""
    found: dict[str, Options] = {}
    for spec in form.fields:
        if not spec.source:
            continue
        waiting = spec.depends_on and is_empty(values.get(spec.depends_on))
        found[spec.name] = [] if waiting else options(session, spec.source, context, values)
    return found


def clean_form(session: Session, form_key: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values checked, its choices from the database, for a record started
    outside any case (an order of 专项督办, a report from the public, ...); a refusal names
    each field."""
    form = registry.get(form_key)
    assert form is not None, form_key
    context = CaseContext()

    def provide(
        source: str, submitted: Mapping[str, Any], wanted: str | None = None, /
    ) -> Sequence[tuple[str, str]]:
        return options(session, source, context, submitted, wanted)

    try:
        return form.validate(data, today=clock.local_now().date(), choices=provide)
    except SubmissionInvalid as invalid:
        raise InvalidInput(fields=invalid.fields) from None
