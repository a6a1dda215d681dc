"""Random ledgers for the invariants of the statutory tables, and what the tables and the
reconciliation must say about them, computed here in plain Python from the generated data
(never from the product's queries).

Each example is a campaign of its own (with its own programmes), so the demo's entries and
other examples never mix in; units and categories are the shared reference rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.models import Campaign, Clue, FocusItem, Problem, Programme, StatCategory, Unit, User
from campaign.reports.findings import Code
from core.clock import LOCAL_TZ

# Townships (rows of their own by township), a department and the district itself (both in
# the row 区直部门及其他 by township).
UNITS = ("QSZ", "BSZ", "LHX", "NYNC", "LKQ")
TOWNSHIPS = frozenset({"QSZ", "BSZ", "LHX"})
PROGRAMMES = (("HP1", "central"), ("HP2", "central"), ("HC1", "city"), ("HX1", "county"))
CATEGORIES = ("S01", "S02", "S12", "S13")  # S12 违规代管 counts cards, the others money
CARDS_CATEGORY = "S12"
STATES = ("reviewed", "reviewed", "waiting", "voided_after_review", "voided_at_review")
FIRST, LAST = date(2022, 5, 1), date(2022, 7, 31)
# 分 at the rounding edges of 万元 (0.50 元 = 0.00005 万元) and beyond.
EDGES = (0, 1, 49, 50, 51, 99, 100, 150, 4_999, 5_000, 5_001, 15_000, 99_999_950)
FEN = st.one_of(st.sampled_from(EDGES), st.integers(1, 10**10))
CLUE_FIGURES = (
    "party_sanctioned",
    "government_sanctioned",
    "exposure_cases",
    "exposure_persons",
    "voluntary_persons",
)


@dataclass(frozen=True)
class EntrySpec:
    unit: str
    village: int  # index into the unit's villages; -1 or beyond them: no village
    programme: int
    category: str
    amount: int
    cards: int
    discovered_on: date
    state: str
    recovered: int
    returned: int

    @property
    def counted(self) -> bool:
        return self.state == "reviewed"


@dataclass(frozen=True)
class ClueSpec:
    entry: int  # index into the entries (modulo their number)
    local_day: date
    hour: int
    recovered: int
    returned: int
    voluntary_fen: int
    figures: tuple[int, ...]  # CLUE_FIGURES


@dataclass(frozen=True)
class ScopeSpec:
    unit: str | None  # None: the district
    date_from: date | None
    date_to: date | None


@st.composite
def entry_specs(draw: st.DrawFn) -> EntrySpec:
    category = draw(st.sampled_from(CATEGORIES))
    amount = draw(FEN)
    # Mostly within the rules; now and then a figure the category rule refuses (rows that
    # predate the rule), which the reconciliation must name.
    cards = draw(st.integers(0, 30)) if category == CARDS_CATEGORY else draw(st.integers(0, 2))
    money = st.one_of(st.just(0), st.integers(0, amount + 100), FEN)
    return EntrySpec(
        unit=draw(st.sampled_from(UNITS)),
        village=draw(st.integers(-1, 3)),
        programme=draw(st.integers(0, len(PROGRAMMES) - 1)),
        category=category,
        amount=amount,
        cards=cards,
        discovered_on=draw(st.dates(FIRST, LAST)),
        state=draw(st.sampled_from(STATES)),
        recovered=draw(money),
        returned=draw(money),
    )


clue_specs = st.builds(
    ClueSpec,
    entry=st.integers(0, 50),
    local_day=st.dates(FIRST, LAST),
    hour=st.integers(0, 23),
    recovered=st.one_of(st.just(0), FEN),
    returned=st.one_of(st.just(0), FEN),
    voluntary_fen=st.one_of(st.just(0), FEN),
    figures=st.tuples(*(st.integers(0, 3) for _ in CLUE_FIGURES)),
)


@st.composite
def scope_specs(draw: st.DrawFn) -> ScopeSpec:
    unit = draw(st.sampled_from((None, None, "QSZ", "NYNC")))
    if draw(st.booleans()):
        return ScopeSpec(unit, None, None)
    first, last = sorted((draw(st.dates(FIRST, LAST)), draw(st.dates(FIRST, LAST))))
    return ScopeSpec(unit, first, last)


@dataclass
class Ledger:
    """The generated data as stored: entries (with their row ids) and clues."""

    campaign_id: int
    entries: list[EntrySpec]
    clues: list[ClueSpec]
    entry_ids: list[int] = field(default_factory=list)
    entry_numbers: list[str] = field(default_factory=list)
    clue_ids: list[int] = field(default_factory=list)
    clue_numbers: list[str] = field(default_factory=list)

    def clue_entry(self, clue: ClueSpec) -> int:
        return clue.entry % len(self.entries)


def _villages(session: Session, unit_id: int) -> list[int]:
    query = select(Unit.id).where(Unit.parent_id == unit_id, Unit.kind == "village")
    return list(session.scalars(query.order_by(Unit.code)))


def store(
    session: Session,
    entries: list[EntrySpec],
    clues: list[ClueSpec],
    *,
    code: str = "HYP-TEST",
    year: int = 2099,
) -> Ledger:
    """The generated data stored in a campaign of its own (code, year: another beside it)."""
    campaign = Campaign(
        code=code, name="性质测试", year=year, starts_on=FIRST, ends_on=LAST, active=False
    )
    session.add(campaign)
    session.flush()
    programmes = [
        Programme(campaign_id=campaign.id, code=code, name=f"测试项目{code}", level=level,
                  sort_order=n)
        for n, (code, level) in enumerate(PROGRAMMES)
    ]  # fmt: skip
    session.add_all(programmes)
    units = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(UNITS)))}
    villages = {code: _villages(session, unit.id) for code, unit in units.items()}
    categories = {c.code: c.id for c in session.scalars(select(StatCategory))}
    focus = session.scalars(select(FocusItem.id).order_by(FocusItem.id)).first()
    office = session.scalars(select(User.id).where(User.username == "ldxz_ban")).one()
    session.flush()
    moment = datetime(2022, 6, 1, tzinfo=UTC)
    ledger = Ledger(campaign.id, entries, clues)
    rows = []
    for n, spec in enumerate(entries, start=1):
        own = villages[spec.unit]
        rows.append(
            Problem(
                campaign_id=campaign.id, number=f"{year}-{spec.unit}-{n:04d}",
                unit_id=units[spec.unit].id,
                village_id=own[spec.village] if 0 <= spec.village < len(own) else None,
                source="self_inspection", programme_id=programmes[spec.programme].id,
                focus_item_id=focus, stat_category_id=categories[spec.category],
                description="性质测试问题", amount_fen=spec.amount, cards=spec.cards,
                discovered_on=spec.discovered_on, registered_by=office,
                reviewed_at=moment if spec.state in ("reviewed", "voided_after_review") else None,
                voided_at=moment if spec.state.startswith("voided") else None,
                recovered_fen=spec.recovered, returned_fen=spec.returned,
                status="voided" if spec.state.startswith("voided") else "rectifying",
            )
        )  # fmt: skip
    session.add_all(rows)
    session.flush()
    ledger.entry_ids = [r.id for r in rows]
    ledger.entry_numbers = [r.number for r in rows]
    made = []
    for n, clue in enumerate(clues, start=1):
        at = datetime.combine(clue.local_day, time(clue.hour), tzinfo=LOCAL_TZ).astimezone(UTC)
        made.append(
            Clue(
                problem_id=ledger.entry_ids[ledger.clue_entry(clue)], number=f"XS-{year}-{n:04d}",
                summary="性质测试线索", from_step="审核", transferred_by=office,
                transferred_at=at, status="concluded", recovered_fen=clue.recovered,
                returned_fen=clue.returned, voluntary_fen=clue.voluntary_fen,
                **dict(zip(CLUE_FIGURES, clue.figures, strict=True)),
            )
        )  # fmt: skip
    session.add_all(made)
    session.flush()
    ledger.clue_ids = [c.id for c in made]
    ledger.clue_numbers = [c.number for c in made]
    return ledger


# -- what the tables and the reconciliation must say ---------------------------------------


def _unit_in(scope: ScopeSpec, unit: str) -> bool:
    return scope.unit is None or scope.unit == unit


def _day_in(scope: ScopeSpec, day: date) -> bool:
    return (scope.date_from is None or day >= scope.date_from) and (
        scope.date_to is None or day <= scope.date_to
    )


def entries_in(ledger: Ledger, scope: ScopeSpec) -> list[int]:
    """Indexes of the scope's entries (by unit and 发现日期), counted or not."""
    return [
        i
        for i, e in enumerate(ledger.entries)
        if _unit_in(scope, e.unit) and _day_in(scope, e.discovered_on)
    ]


def clues_in(ledger: Ledger, scope: ScopeSpec) -> list[int]:
    """Indexes of the scope's clues (by their entry's unit and the local day transferred)."""
    return [
        i
        for i, c in enumerate(ledger.clues)
        if _unit_in(scope, ledger.entries[ledger.clue_entry(c)].unit)
        and _day_in(scope, c.local_day)
    ]


def attachment2_cells(ledger: Ledger, scope: ScopeSpec) -> Counter[tuple[str, str]]:
    """(programme code, category code) → the cell: cards for S12, 分 otherwise."""
    cells: Counter[tuple[str, str]] = Counter()
    for i in entries_in(ledger, scope):
        e = ledger.entries[i]
        if e.counted:
            value = e.cards if e.category == CARDS_CATEGORY else e.amount
            cells[(PROGRAMMES[e.programme][0], e.category)] += value
    return cells


def row_key(scope: ScopeSpec, unit: str, by_township: bool) -> str:
    if not by_township:
        return scope.unit or "LKQ"
    if scope.unit is not None and scope.unit not in TOWNSHIPS:
        return scope.unit  # a department asked for alone: no township in scope, its own row
    return unit if unit in TOWNSHIPS else "*other"


def attachment3_ledger(
    ledger: Ledger, scope: ScopeSpec, by_township: bool
) -> dict[str, Counter[str]]:
    """Row key ("" for 合计) → 附件3's ledger columns."""
    rows: dict[str, Counter[str]] = {"": Counter()}

    def add(unit: str, column: str, value: int) -> None:
        for key in ("", row_key(scope, unit, by_township)):
            rows.setdefault(key, Counter())[column] += value

    for i in entries_in(ledger, scope):
        e = ledger.entries[i]
        if e.counted:
            add(e.unit, "cards_illegal", e.cards if e.category == CARDS_CATEGORY else 0)
            add(e.unit, "recovered_fen", e.recovered)
            add(e.unit, "returned_fen", e.returned)
    for i in clues_in(ledger, scope):
        c = ledger.clues[i]
        e = ledger.entries[ledger.clue_entry(c)]
        if e.counted:
            add(e.unit, "clues", 1)
            add(e.unit, "recovered_fen", c.recovered)
            add(e.unit, "returned_fen", c.returned)
            add(e.unit, "voluntary_fen", c.voluntary_fen)
            for name, value in zip(CLUE_FIGURES, c.figures, strict=True):
                add(e.unit, name, value)
    return rows


def expected_findings(ledger: Ledger, scope: ScopeSpec) -> Counter[tuple[Code, str]]:
    """(kind of finding, the first record it names) for every finding the data calls for."""
    found: Counter[tuple[Code, str]] = Counter()
    clue_money: Counter[tuple[int, str]] = Counter()
    for c in ledger.clues:  # every clue of an entry, whenever transferred
        clue_money[(ledger.clue_entry(c), "recovered")] += c.recovered
        clue_money[(ledger.clue_entry(c), "returned")] += c.returned
    for i in entries_in(ledger, scope):
        e, number = ledger.entries[i], ledger.entry_numbers[i]
        if not e.counted:
            if e.recovered > 0 or e.returned > 0:
                found[(Code.MONEY_UNCOUNTED, number)] += 1
            continue
        if (e.category == CARDS_CATEGORY and e.cards < 1) or (
            e.category != CARDS_CATEGORY and e.amount <= 0
        ):
            found[(Code.CATEGORY_RULE, number)] += 1
        recovered = e.recovered + clue_money[(i, "recovered")]
        returned = e.returned + clue_money[(i, "returned")]
        if e.amount > 0 and (recovered > e.amount or returned > e.amount):
            found[(Code.MONEY_EXCEEDS, number)] += 1
    for i in clues_in(ledger, scope):
        e = ledger.entries[ledger.clue_entry(ledger.clues[i])]
        if e.state.startswith("voided"):
            found[(Code.CLUE_UNCOUNTED, ledger.clue_numbers[i])] += 1
        elif e.state == "waiting":
            found[(Code.CLUE_WAITING, ledger.clue_numbers[i])] += 1
    return found
