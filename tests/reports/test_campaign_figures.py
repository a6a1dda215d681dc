"""Two campaigns side by side (an ended one and the next): each campaign's tables and ledger
hold its own records and nothing of the other's, over random ledgers (hypothesis), on the
database under test."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from campaign import ledger_queries, reports
from campaign.models import User
from core.db import Database
from tests.reports.invariant_model import (
    ClueSpec,
    EntrySpec,
    ScopeSpec,
    clue_specs,
    entry_specs,
    store,
)
from tests.reports.test_invariants import RANDOM, _tables_equal_the_model, example_session

WHOLE = ScopeSpec(None, None, None)


@RANDOM
@given(
    first=st.lists(entry_specs(), min_size=1, max_size=8),
    first_clues=st.lists(clue_specs, max_size=3),
    second=st.lists(entry_specs(), max_size=8),
    second_clues=st.lists(clue_specs, max_size=3),
)
def test_each_campaigns_tables_hold_its_own_records_only(
    database: Database,
    first: list[EntrySpec],
    first_clues: list[ClueSpec],
    second: list[EntrySpec],
    second_clues: list[ClueSpec],
) -> None:
    with example_session(database) as session:
        ledgers = [store(session, first, first_clues, code="HYP-A", year=2098)]
        if second:
            ledgers.append(store(session, second, second_clues, code="HYP-B", year=2099))
        office = session.scalars(select(User).where(User.username == "ldxz_ban")).one()
        for ledger in ledgers:
            scope = reports.report_scope(session, campaign=ledger.campaign_id)
            table2 = reports.attachment2(session, scope)
            tables3 = [reports.attachment3(session, scope, by_township=b) for b in (False, True)]
            _tables_equal_the_model(ledger, WHOLE, table2, tables3)
            filters = ledger_queries.LedgerFilters(campaign_id=ledger.campaign_id)
            listed = session.scalars(ledger_queries.query(session, office, filters)).all()
            assert sorted(p.id for p in listed) == sorted(ledger.entry_ids)
