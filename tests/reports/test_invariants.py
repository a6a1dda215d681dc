"""Invariants of 附件2, 附件3 and the reconciliation over random ledgers (hypothesis), on the
database under test (SQLite, or PostgreSQL with YKT_TEST_DATABASE_URL):

- the tables equal the figures computed in plain Python from the generated data, and the
  reconciliation finds exactly the findings the data calls for (none for a ledger within the
  rules: entries with their figure, money within their amount, clues of counted entries);
- 附件2's 违规代管 合计 equals 附件3's (by county-level unit and by township);
- each 合计 is the sum of its rows in exact 分 (the largest for 涉及到的银行家数);
- every cell equals the total of its drill-down, whose records add up to it;
- voided and unreviewed entries, and their clues, are in no cell.

Each example is stored in a transaction of its own, rolled back afterwards. The examples are
derandomized (the same every run) and bounded, so the file takes well under a minute."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from campaign import reports
from campaign.reports import ReportScope
from campaign.reports.reconciliation import check_figures
from core.db import Database
from forms.tables import Attachment2Table, Attachment3Table
from forms.tables.attachment2 import Row as Row2
from forms.tables.attachment3 import COLUMNS
from tests.reports.invariant_model import (
    CATEGORIES,
    ClueSpec,
    EntrySpec,
    Ledger,
    ScopeSpec,
    attachment2_cells,
    attachment3_ledger,
    clue_specs,
    entry_specs,
    expected_findings,
    scope_specs,
    store,
)

LEDGER_COLUMNS = (
    "cards_illegal", "recovered_fen", "returned_fen", "clues", "voluntary_persons",
    "voluntary_fen", "party_sanctioned", "government_sanctioned", "exposure_cases",
    "exposure_persons",
)  # fmt: skip
NOT_SUMS = {"population", "other", "banks_involved"}
EVERYTHING = 10_000  # a drill-down page that holds every record of a cell

RANDOM = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@contextmanager
def example_session(database: Database) -> Iterator[Session]:
    connection = database.engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


def _scope(session: Session, ledger: Ledger, spec: ScopeSpec) -> ReportScope:
    return reports.report_scope(
        session,
        campaign=ledger.campaign_id,
        unit_code=spec.unit,
        date_from=spec.date_from,
        date_to=spec.date_to,
    )


@RANDOM
@given(
    entries=st.lists(entry_specs(), min_size=1, max_size=12),
    clues=st.lists(clue_specs, max_size=5),
    scope_spec=scope_specs(),
)
def test_random_ledgers_keep_every_invariant(
    database: Database, entries: list[EntrySpec], clues: list[ClueSpec], scope_spec: ScopeSpec
) -> None:
    with example_session(database) as session:
        ledger = store(session, entries, clues)
        scope = _scope(session, ledger, scope_spec)
        table2 = reports.attachment2(session, scope)
        tables3 = [reports.attachment3(session, scope, by_township=by) for by in (False, True)]

        _tables_equal_the_model(ledger, scope_spec, table2, tables3)
        result = check_figures(
            session, scope, attachment2_table=table2, attachment3_table=tables3[0]
        )
        found = Counter((f.code, f.records[0].reference) for f in result.findings)
        assert found == expected_findings(ledger, scope_spec), [f.message for f in result.findings]

        cards2 = _total(table2).values[_index(table2, "S12")]
        for table3 in tables3:
            assert _total3(table3)["cards_illegal"] == cards2
            _totals_are_sums3(table3)
        _totals_are_sums2(table2)
        counted = {
            ledger.entry_ids[i] for i, e in enumerate(ledger.entries) if e.state == "reviewed"
        }
        _cells_equal_drill_downs2(session, scope, table2, counted)
        for table3 in tables3:
            _cells_equal_drill_downs3(session, scope, table3, ledger, counted)


def _index(table: Attachment2Table, code: str) -> int:
    return next(i for i, c in enumerate(table.columns) if c.key == code)


def _total(table: Attachment2Table) -> Row2:
    return next(r for r in table.rows if r.kind == "total")


def _total3(table: Attachment3Table) -> dict[str, int]:
    row = next(r for r in table.rows if r.kind == "total")
    return {k: int(v or 0) for k, v in row.values.items()}


def _tables_equal_the_model(
    ledger: Ledger, spec: ScopeSpec, table2: Attachment2Table, tables3: list[Attachment3Table]
) -> None:
    cells = attachment2_cells(ledger, spec)
    for row in table2.rows:
        if row.kind != "programme":
            continue
        for i, column in enumerate(table2.columns):
            assert row.values[i] == cells.get((row.key, column.key), 0), (row.key, column.key)
    totals: Counter[str] = Counter()
    for (_, category), value in cells.items():
        totals[category] += value
    assert _total(table2).values == tuple(totals.get(c.key, 0) for c in table2.columns)
    for table3 in tables3:
        expected = attachment3_ledger(ledger, spec, table3.by_township)
        shown = {row.key: row for row in table3.rows}
        for key, figures in expected.items():
            if not any(figures.values()):
                continue
            assert key in shown, (key, table3.by_township)
            for name in LEDGER_COLUMNS:
                value = int(shown[key].values.get(name) or 0)
                assert value == figures[name], (key, name, table3.by_township)


def _totals_are_sums2(table: Attachment2Table) -> None:
    rows = [r for r in table.rows if r.kind == "programme"]
    assert _total(table).values == tuple(
        sum(r.values[i] for r in rows) for i in range(len(table.columns))
    )


def _totals_are_sums3(table: Attachment3Table) -> None:
    rows = [r for r in table.rows if r.kind != "total"]
    total = _total3(table)
    for column in COLUMNS:
        values = [int(r.values.get(column.key) or 0) for r in rows]
        if column.key == "banks_involved":
            assert total[column.key] == max(values, default=0)
        elif column.key not in NOT_SUMS:
            assert total[column.key] == sum(values), column.key


def _cells_equal_drill_downs2(
    session: Session, scope: ReportScope, table: Attachment2Table, counted: set[int]
) -> None:
    """Every non-zero cell is its drill-down's total; each 合计 drill-down holds only counted
    entries, and its records that add something are exactly those of the rows' drill-downs
    (so a zero cell adds nothing)."""
    for i, column in enumerate(table.columns):
        if column.key not in CATEGORIES:  # no entry of it: zero throughout
            assert all(row.values[i] == 0 for row in table.rows if row.kind != "section")
            continue
        behind_rows = 0
        for row in table.rows:
            if row.kind == "section" or (row.kind == "programme" and not row.values[i]):
                continue
            evidence = reports.attachment2_cell(
                session,
                scope,
                category=column.key,
                programme=row.key if row.kind == "programme" else None,
                limit=EVERYTHING,
            )
            assert evidence.total == row.values[i] == sum(item.value for item in evidence.items)
            assert {item.id for item in evidence.items} <= counted
            adding = sum(1 for item in evidence.items if item.value)
            if row.kind == "programme":
                behind_rows += adding
            else:
                assert adding == behind_rows, column.key


def _cells_equal_drill_downs3(
    session: Session,
    scope: ReportScope,
    table: Attachment3Table,
    ledger: Ledger,
    counted: set[int],
) -> None:
    counted_clues = {
        ledger.clue_ids[n]
        for n, clue in enumerate(ledger.clues)
        if ledger.entries[ledger.clue_entry(clue)].state == "reviewed"
    }
    for name in LEDGER_COLUMNS:
        behind_rows = 0
        for row in table.rows:
            value = int(row.values.get(name) or 0)
            if row.kind != "total" and not value:
                continue
            evidence = reports.attachment3_cell(
                session,
                scope,
                column=name,
                row=row.key,
                by_township=table.by_township,
                limit=EVERYTHING,
            )
            assert evidence.total == value == sum(item.value for item in evidence.items), (
                name,
                row.key,
            )
            for item in evidence.items:
                kind = item.record_type
                assert item.id in (counted if kind == "problem" else counted_clues), (kind, item)
            adding = sum(1 for item in evidence.items if item.value)
            if row.kind != "total":
                behind_rows += adding
            else:
                assert adding == behind_rows, (name, table.by_township)
